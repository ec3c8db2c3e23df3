#include "focal/zoo/focal_registry.h"

#include <stdexcept>

namespace focal {
namespace {

struct FocalSize {
  const char* size;
  int64_t embed_dim;
  std::vector<int64_t> depths, num_heads;
  double drop_path_rate;
};

std::vector<FocalSize> focal_sizes() {
  return {{"tiny", 96, {2, 2, 6, 2}, {3, 6, 12, 24}, 0.2},
          {"small", 96, {2, 2, 18, 2}, {3, 6, 12, 24}, 0.3},
          {"base", 128, {2, 2, 18, 2}, {4, 8, 16, 32}, 0.5}};
}

// The registered variants: v1 plain and with the convolutional embedding, v2 (released with it only).
struct Variant {
  const char* prefix;
  bool conv;
  bool v2;
};
const Variant kVariants[] = {{"focal_", false, false}, {"focal_", true, false}, {"focalv2_", true, true}};

std::string registered_name(const FocalSize& s, const Variant& v) {
  return std::string(v.prefix) + s.size + (v.conv ? "_useconv" : "") + "_patch4_window7_224";
}

}  // namespace

std::vector<std::string> focal_model_names() {
  std::vector<std::string> names;
  for (const auto& v : kVariants)
    for (const auto& s : focal_sizes()) names.push_back(registered_name(s, v));
  return names;
}

std::string canonical_focal_name(const std::string& name) {
  // The released v2 YAML files name their models without "_useconv" (they all use it).
  const std::string prefix = "focalv2_";
  if (name.rfind(prefix, 0) == 0 && name.find("_useconv") == std::string::npos) {
    const auto patch = name.find("_patch");
    if (patch != std::string::npos) return name.substr(0, patch) + "_useconv" + name.substr(patch);
  }
  return name;
}

bool is_focal_model(const std::string& name) {
  const auto canonical = canonical_focal_name(name);
  for (const auto& n : focal_model_names())
    if (n == canonical) return true;
  return false;
}

FocalTransformerOptions focal_registered_options(const std::string& name) {
  const auto canonical = canonical_focal_name(name);
  for (const auto& v : kVariants) {
    for (const auto& s : focal_sizes()) {
      if (registered_name(s, v) != canonical) continue;
      return FocalTransformerOptions()
          .model_type(v.v2 ? "focalv2" : "focal")
          .focal_topK(128)
          .img_size(224)
          .patch_size(4)
          .num_classes(1000)
          .embed_dim(s.embed_dim)
          .depths(s.depths)
          .num_heads(s.num_heads)
          .window_size(7)
          .drop_path_rate(s.drop_path_rate)
          .focal_levels({2, 2, 2, 2})
          .focal_windows({7, 5, 3, 1})
          .expand_sizes({3, 3, 3, 3})
          .expand_layer("all")
          .focal_pool("fc")
          .use_conv_embed(v.conv);
    }
  }
  std::string known;
  for (const auto& n : focal_model_names()) known += " " + n;
  throw std::invalid_argument("unknown Focal Transformer '" + name + "'; registered:" + known);
}

}  // namespace focal
