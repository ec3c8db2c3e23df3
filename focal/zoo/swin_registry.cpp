#include "focal/zoo/swin_registry.h"

#include "focal/config/config_error.h"

#include <stdexcept>

namespace focal {
namespace {

struct SwinSize {
  const char* name;
  int64_t embed_dim;
  std::vector<int64_t> depths, num_heads;
  int64_t window, img_size;
  double drop_path_rate;
};

std::vector<SwinSize> swin_sizes() {
  return {{"swin_tiny_patch4_window7_224", 96, {2, 2, 6, 2}, {3, 6, 12, 24}, 7, 224, 0.2},
          {"swin_small_patch4_window7_224", 96, {2, 2, 18, 2}, {3, 6, 12, 24}, 7, 224, 0.3},
          {"swin_base_patch4_window7_224", 128, {2, 2, 18, 2}, {4, 8, 16, 32}, 7, 224, 0.5},
          {"swin_base_patch4_window12_384", 128, {2, 2, 18, 2}, {4, 8, 16, 32}, 12, 384, 0.1}};
}

}  // namespace

std::vector<std::string> swin_model_names() {
  std::vector<std::string> names;
  for (const auto& s : swin_sizes()) names.push_back(s.name);
  return names;
}

swin::SwinTransformerOptions swin_registered_options(const std::string& name) {
  std::string known;
  for (const auto& s : swin_sizes()) {
    if (name == s.name) {
      return swin::SwinTransformerOptions()
          .img_size(s.img_size)
          .embed_dim(s.embed_dim)
          .depths(s.depths)
          .num_heads(s.num_heads)
          .window_size(s.window)
          .drop_path_rate(s.drop_path_rate);
    }
    known += std::string(" ") + s.name;
  }
  throw std::invalid_argument("unknown Swin Transformer '" + name + "'; registered:" + known);
}

swin::SwinTransformerOptions swin_options_from_config(const Config& config) {
  const auto type = config.get<std::string>("MODEL.TYPE");
  if (type != "swin")
    throw ConfigError("config key 'MODEL.TYPE' is '" + type + "'; Swin options need 'swin'");
  const auto depths = config.get<std::vector<int64_t>>("MODEL.SWIN.DEPTHS");
  const auto heads = config.get<std::vector<int64_t>>("MODEL.SWIN.NUM_HEADS");
  if (heads.size() < depths.size()) {
    throw ConfigError("config key 'MODEL.SWIN.NUM_HEADS' has " + std::to_string(heads.size()) +
                      " entries, but MODEL.SWIN.DEPTHS has " + std::to_string(depths.size()) + " stages");
  }
  return swin::SwinTransformerOptions()
      .img_size(config.get<int64_t>("DATA.IMG_SIZE"))
      .patch_size(config.get<int64_t>("MODEL.SWIN.PATCH_SIZE"))
      .in_chans(config.get<int64_t>("MODEL.SWIN.IN_CHANS"))
      .num_classes(config.get<int64_t>("MODEL.NUM_CLASSES"))
      .embed_dim(config.get<int64_t>("MODEL.SWIN.EMBED_DIM"))
      .depths(depths)
      .num_heads(heads)
      .window_size(config.get<int64_t>("MODEL.SWIN.WINDOW_SIZE"))
      .mlp_ratio(config.get<double>("MODEL.SWIN.MLP_RATIO"))
      .qkv_bias(config.get<bool>("MODEL.SWIN.QKV_BIAS"))
      .qk_scale(config.get_optional<double>("MODEL.SWIN.QK_SCALE"))
      .drop_rate(config.get<double>("MODEL.DROP_RATE"))
      .drop_path_rate(config.get<double>("MODEL.DROP_PATH_RATE"))
      .ape(config.get<bool>("MODEL.SWIN.APE"))
      .patch_norm(config.get<bool>("MODEL.SWIN.PATCH_NORM"))
      .use_checkpoint(config.get<bool>("TRAIN.USE_CHECKPOINT"))
      .use_shift(config.get<bool>("MODEL.SWIN.USE_SHIFT"));
}

}  // namespace focal
