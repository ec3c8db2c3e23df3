#pragma once
// The constructor arguments the hierarchical transformers share (Focal v1/v2, Swin), with the originals'
// names and defaults (FocalTransformer and SwinTransformer agree on all of them): the stem, the stages'
// sizes, the head and the drop rates. `Self` is the family's options struct, which adds its own fields.
#include "focal/layers/backbone/shared_arg.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace focal {

template <typename Self>
struct HierarchicalOptions {
  FOCAL_SHARED_ARG(int64_t, img_size) = 224;
  FOCAL_SHARED_ARG(int64_t, patch_size) = 4;
  FOCAL_SHARED_ARG(int64_t, in_chans) = 3;
  FOCAL_SHARED_ARG(int64_t, num_classes) = 1000;
  FOCAL_SHARED_ARG(int64_t, embed_dim) = 96;
  FOCAL_SHARED_ARG(std::vector<int64_t>, depths) = std::vector<int64_t>{2, 2, 6, 2};
  FOCAL_SHARED_ARG(std::vector<int64_t>, num_heads) = std::vector<int64_t>{3, 6, 12, 24};
  FOCAL_SHARED_ARG(int64_t, window_size) = 7;
  FOCAL_SHARED_ARG(double, mlp_ratio) = 4.0;
  FOCAL_SHARED_ARG(bool, qkv_bias) = true;
  // head_dim ** -0.5 when unset.
  FOCAL_SHARED_ARG(std::optional<double>, qk_scale) = std::nullopt;
  FOCAL_SHARED_ARG(double, drop_rate) = 0.0;
  FOCAL_SHARED_ARG(double, attn_drop_rate) = 0.0;
  FOCAL_SHARED_ARG(double, drop_path_rate) = 0.1;
  FOCAL_SHARED_ARG(bool, ape) = false;
  FOCAL_SHARED_ARG(bool, patch_norm) = true;
  FOCAL_SHARED_ARG(bool, use_checkpoint) = false;
};

}  // namespace focal
