#pragma once
// Focal Transformer block: LayerNorm -> focal self-attention (over the fine map and its pooled levels)
// -> residual with stochastic depth and optional layer scale -> LayerNorm -> MLP -> residual.
// With topk > 0 it is the Focal-v2 block: the same block around the top-K attention of focal/focal_v2
// (registered as `attn`, as in the original), which needs no padding masks.
#include "focal/focal_v1/focal_attention.h"
#include "focal/focal_v2/topk_attention.h"
#include "focal/layers/mlp.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <string>

namespace focal {

struct FocalBlockOptions {
  FocalBlockOptions(int64_t dim, int64_t num_heads, int64_t resolution_h, int64_t resolution_w)
      : dim_(dim), num_heads_(num_heads), resolution_h_(resolution_h), resolution_w_(resolution_w) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, num_heads);
  // Map size the block is built for: decides, as in the original, whether the window shrinks to the map.
  TORCH_ARG(int64_t, resolution_h);
  TORCH_ARG(int64_t, resolution_w);
  TORCH_ARG(int64_t, window_size) = 7;
  TORCH_ARG(int64_t, expand_size) = 0;
  TORCH_ARG(int64_t, shift_size) = 0;
  TORCH_ARG(double, mlp_ratio) = 4.0;
  TORCH_ARG(bool, qkv_bias) = true;
  TORCH_ARG(std::optional<double>, qk_scale) = std::nullopt;
  TORCH_ARG(double, drop) = 0.0;
  TORCH_ARG(double, attn_drop) = 0.0;
  TORCH_ARG(double, drop_path) = 0.0;
  TORCH_ARG(std::string, pool_method) = "none";
  TORCH_ARG(int64_t, focal_level) = 1;
  TORCH_ARG(int64_t, focal_window) = 1;
  TORCH_ARG(bool, use_layerscale) = false;
  TORCH_ARG(double, layerscale_value) = 1e-4;
  TORCH_ARG(int64_t, topk) = 0;  // > 0: Focal-v2 top-K attention with this K
};

class FocalBlockImpl : public torch::nn::Module {
 public:
  explicit FocalBlockImpl(FocalBlockOptions options);
  void reset();
  // x: (B, H*W, C) -> (B, H*W, C).
  torch::Tensor forward(const torch::Tensor& x, int64_t height, int64_t width);

  // Effective window, expansion and shift after the original's reduction for maps not larger than the window.
  int64_t window_size() const { return window_size_; }
  int64_t expand_size() const { return expand_size_; }
  int64_t shift_size() const { return shift_size_; }
  const FocalBlockOptions& options() const { return options_; }

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  FocalAttention attn{nullptr};          // v1 (topk == 0)
  v2::TopkAttention topk_attn{nullptr};  // v2 (topk > 0), registered as `attn`
  Mlp mlp{nullptr};
  torch::nn::ModuleList pool_layers{nullptr};
  torch::Tensor gamma_1, gamma_2;

 private:
  FocalBlockOptions options_;
  int64_t window_size_ = 0, expand_size_ = 0, shift_size_ = 0;
};
TORCH_MODULE(FocalBlock);

}  // namespace focal
