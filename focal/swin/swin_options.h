#pragma once
// Constructor arguments of the Swin Transformer with the names and defaults of the Swin code base
// (models/swin_transformer.py, class SwinTransformer; its YAML keys are MODEL.SWIN.*).
#include <torch/arg.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace focal::swin {

struct SwinTransformerOptions {
  TORCH_ARG(int64_t, img_size) = 224;
  TORCH_ARG(int64_t, patch_size) = 4;
  TORCH_ARG(int64_t, in_chans) = 3;
  TORCH_ARG(int64_t, num_classes) = 1000;
  TORCH_ARG(int64_t, embed_dim) = 96;
  TORCH_ARG(std::vector<int64_t>, depths) = std::vector<int64_t>{2, 2, 6, 2};
  TORCH_ARG(std::vector<int64_t>, num_heads) = std::vector<int64_t>{3, 6, 12, 24};
  TORCH_ARG(int64_t, window_size) = 7;
  TORCH_ARG(double, mlp_ratio) = 4.0;
  TORCH_ARG(bool, qkv_bias) = true;
  TORCH_ARG(std::optional<double>, qk_scale) = std::nullopt;  // head_dim ** -0.5 when unset
  TORCH_ARG(double, drop_rate) = 0.0;
  TORCH_ARG(double, attn_drop_rate) = 0.0;
  TORCH_ARG(double, drop_path_rate) = 0.1;
  TORCH_ARG(bool, ape) = false;
  TORCH_ARG(bool, patch_norm) = true;
  TORCH_ARG(bool, use_checkpoint) = false;
  // Ours, for the ablation without shifted windows (the Swin code base always shifts odd blocks).
  TORCH_ARG(bool, use_shift) = true;
};

}  // namespace focal::swin
