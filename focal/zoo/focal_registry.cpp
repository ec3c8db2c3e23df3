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

std::string registered_name(const FocalSize& s, bool conv) {
  return std::string("focal_") + s.size + (conv ? "_useconv" : "") + "_patch4_window7_224";
}

}  // namespace

std::vector<std::string> focal_model_names() {
  std::vector<std::string> names;
  for (bool conv : {false, true})
    for (const auto& s : focal_sizes()) names.push_back(registered_name(s, conv));
  return names;
}

bool is_focal_model(const std::string& name) {
  for (const auto& n : focal_model_names())
    if (n == name) return true;
  return false;
}

FocalTransformerOptions focal_registered_options(const std::string& name) {
  for (bool conv : {false, true}) {
    for (const auto& s : focal_sizes()) {
      if (registered_name(s, conv) != name) continue;
      return FocalTransformerOptions()
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
          .use_conv_embed(conv);
    }
  }
  std::string known;
  for (const auto& n : focal_model_names()) known += " " + n;
  throw std::invalid_argument("unknown Focal Transformer '" + name + "'; registered:" + known);
}

}  // namespace focal
