#include "focal/halonet/halonet_zoo.h"

#include <array>
#include <stdexcept>

namespace focal::halonet {
namespace {

struct HaloNetVariant {
  const char* name;
  int64_t block_size, halo_size;
  double value_ratio, bottleneck_ratio;
  int64_t stage3_depth, img_size, num_features;  // num_features 0 = no final conv
};

// The paper's table. H3 keeps the published d_f = 1024 (11.84M parameters; the paper's 12.3M would need
// 1280).
constexpr std::array<HaloNetVariant, 8> kVariants{{
    {"halonet_h0", 8, 3, 1.0, 0.5, 7, 256, 0},
    {"halonet_h1", 8, 3, 1.0, 1.0, 10, 256, 0},
    {"halonet_h2", 8, 3, 1.0, 1.25, 11, 256, 0},
    {"halonet_h3", 10, 3, 1.0, 1.5, 12, 320, 1024},
    {"halonet_h4", 12, 2, 1.0, 3.0, 12, 384, 1280},
    {"halonet_h5", 14, 2, 2.5, 2.0, 23, 448, 1536},
    {"halonet_h6", 8, 4, 3.0, 2.75, 24, 512, 1536},
    {"halonet_h7", 10, 3, 4.0, 3.5, 26, 600, 2048},
}};

}  // namespace

std::vector<std::string> halonet_model_names() {
  std::vector<std::string> names;
  for (const auto& v : kVariants) names.emplace_back(v.name);
  return names;
}

HaloNetOptions halonet_options(const std::string& name) {
  for (const auto& v : kVariants) {
    if (name != v.name) continue;
    const auto base = HaloNetOptions();
    auto depths = base.depths();
    depths[2] = v.stage3_depth;
    return HaloNetOptions()
        .block_size(v.block_size)
        .halo_size(v.halo_size)
        .value_ratio(v.value_ratio)
        .bottleneck_ratio(v.bottleneck_ratio)
        .depths(depths)
        .img_size(v.img_size)
        .num_features(v.num_features);
  }
  std::string known;
  for (const auto& n : halonet_model_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown HaloNet model '" + name + "' (known: " + known + ")");
}

HaloNet create_halonet(const std::string& name, int64_t num_classes) {
  return HaloNet(halonet_options(name).num_classes(num_classes));
}

focal::Classifier create_halonet_classifier(const std::string& name, int64_t num_classes) {
  return create_halonet(name, num_classes).ptr();
}

}  // namespace focal::halonet
