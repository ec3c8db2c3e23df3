#include "focal/halonet/timm_weights.h"

#include <array>
#include <stdexcept>
#include <string_view>

namespace focal::halonet {
namespace {

// Fragments of timm ByobNet keys that belong to block / head types other than HaloNet's.
constexpr std::array<std::string_view, 5> kForeignFragments{
    ".conv2_kxk.", ".self_attn.qkv.", ".self_attn.pos_embed.rel_", "head.proj.", ".conv2b_kxk."};

}  // namespace

focal::io::StateDict remap_timm_halonet_state_dict(const focal::io::StateDict& timm_state) {
  focal::io::StateDict out;
  out.reserve(timm_state.size());
  for (const auto& [name, tensor] : timm_state) {
    for (auto fragment : kForeignFragments) {
      if (name.find(fragment) != std::string::npos) {
        throw std::invalid_argument("timm checkpoint key '" + name + "' (" + std::string(fragment) +
                                    ") belongs to a timm model that is not a HaloNet H-series network");
      }
    }
    out.emplace_back(name, tensor);
  }
  return out;
}

focal::io::LoadReport load_timm_halonet(HaloNetImpl& model, const std::string& path, bool strict) {
  auto state = remap_timm_halonet_state_dict(focal::io::read_state_dict(path));
  return focal::io::load_state_dict(model, state, strict, path);
}

}  // namespace focal::halonet
