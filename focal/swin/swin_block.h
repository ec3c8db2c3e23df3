#pragma once
// Swin Transformer block: LayerNorm -> (shifted) window attention -> residual with stochastic depth ->
// LayerNorm -> MLP -> residual. Names as the Swin code base's SwinTransformerBlock (norm1, attn, norm2, mlp,
// and the attn_mask buffer of shifted blocks).
#include "focal/layers/mlp.h"
#include "focal/swin/swin_attention.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <mutex>
#include <optional>
#include <utility>

namespace focal::swin {

struct SwinBlockOptions {
  SwinBlockOptions(int64_t dim, int64_t num_heads, int64_t resolution_h, int64_t resolution_w)
      : dim_(dim), num_heads_(num_heads), resolution_h_(resolution_h), resolution_w_(resolution_w) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, num_heads);
  TORCH_ARG(int64_t, resolution_h);  // map size the block is built for (window reduction, mask buffer)
  TORCH_ARG(int64_t, resolution_w);
  TORCH_ARG(int64_t, window_size) = 7;
  TORCH_ARG(int64_t, shift_size) = 0;
  TORCH_ARG(double, mlp_ratio) = 4.0;
  TORCH_ARG(bool, qkv_bias) = true;
  TORCH_ARG(std::optional<double>, qk_scale) = std::nullopt;
  TORCH_ARG(double, drop) = 0.0;
  TORCH_ARG(double, attn_drop) = 0.0;
  TORCH_ARG(double, drop_path) = 0.0;
};

class SwinBlockImpl : public torch::nn::Module {
 public:
  explicit SwinBlockImpl(SwinBlockOptions options);
  void reset();
  // x: (B, H*W, C) -> (B, H*W, C).
  torch::Tensor forward(const torch::Tensor& x, int64_t height, int64_t width);

  int64_t window_size() const { return window_size_; }
  int64_t shift_size() const { return shift_size_; }

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  WindowAttention attn{nullptr};
  Mlp mlp{nullptr};

 private:
  // The shifted-window mask of a padded map: the registered buffer at the built size, else cached per size.
  torch::Tensor mask_for(int64_t hp, int64_t wp, const torch::Device& device);

  SwinBlockOptions options_;
  int64_t window_size_ = 0, shift_size_ = 0;
  int64_t built_hp_ = 0, built_wp_ = 0;  // padded map of the attn_mask buffer
  std::map<std::pair<int64_t, int64_t>, torch::Tensor> mask_cache_;
  std::mutex mask_mutex_;
};
TORCH_MODULE(SwinBlock);

}  // namespace focal::swin
