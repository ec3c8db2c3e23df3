#pragma once
// Focal Transformer block: LayerNorm -> focal self-attention (over the fine map and its pooled levels)
// -> residual with stochastic depth and optional layer scale -> LayerNorm -> MLP -> residual.
// With topk > 0 it is the Focal-v2 block: the same block around the top-K attention of focal/focal_v2
// (registered as `attn`, as in the original), which needs no padding masks.
#include "focal/focal_v1/focal_attention.h"
#include "focal/focal_v2/topk_attention.h"
#include "focal/layers/blocks/window_block.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <string>

namespace focal {

// The shared block options (WindowBlockOptions) and the Focal ones.
struct FocalBlockOptions : WindowBlockOptions<FocalBlockOptions> {
  using WindowBlockOptions::WindowBlockOptions;
  TORCH_ARG(int64_t, expand_size) = 0;
  TORCH_ARG(std::string, pool_method) = "none";
  TORCH_ARG(int64_t, focal_level) = 1;
  TORCH_ARG(int64_t, focal_window) = 1;
  TORCH_ARG(bool, use_layerscale) = false;
  TORCH_ARG(double, layerscale_value) = 1e-4;
  TORCH_ARG(int64_t, topk) = 0;  // > 0: Focal-v2 top-K attention with this K
};

class FocalBlockImpl : public WindowBlockImpl {
 public:
  explicit FocalBlockImpl(FocalBlockOptions options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x, int64_t height, int64_t width) override;

  // Effective expansion after the original's reduction for maps not larger than the window.
  int64_t expand_size() const { return expand_size_; }
  const FocalBlockOptions& options() const { return options_; }

  FocalAttention attn{nullptr};          // v1 (topk == 0)
  v2::TopkAttention topk_attn{nullptr};  // v2 (topk > 0), registered as `attn`
  torch::nn::ModuleList pool_layers{nullptr};
  torch::Tensor gamma_1, gamma_2;

 private:
  FocalBlockOptions options_;
  int64_t expand_size_ = 0;
};
TORCH_MODULE(FocalBlock);

}  // namespace focal
