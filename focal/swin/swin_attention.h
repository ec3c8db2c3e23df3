#pragma once
// Window multi-head self-attention of Swin with its relative-position bias table ((2w-1)^2 entries per head,
// indexed by focal/layers/relative_position). Names are the Swin code base's WindowAttention's.
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <optional>

namespace focal::swin {

struct WindowAttentionOptions {
  WindowAttentionOptions(int64_t dim, int64_t window_size, int64_t num_heads)
      : dim_(dim), window_size_(window_size), num_heads_(num_heads) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, window_size);
  TORCH_ARG(int64_t, num_heads);
  TORCH_ARG(bool, qkv_bias) = true;
  TORCH_ARG(std::optional<double>, qk_scale) = std::nullopt;
  TORCH_ARG(double, attn_drop) = 0.0;
  TORCH_ARG(double, proj_drop) = 0.0;
};

class WindowAttentionImpl : public torch::nn::Module {
 public:
  explicit WindowAttentionImpl(WindowAttentionOptions options);
  void reset();
  // windows: (B, nW, L, C); mask: (nW, L, L) additive (0 / -100) or undefined. Returns (B, nW, L, C).
  torch::Tensor forward(const torch::Tensor& windows, const torch::Tensor& mask);

  torch::Tensor relative_position_bias_table;  // ((2w-1)^2, nH)
  torch::nn::Linear qkv{nullptr}, proj{nullptr};

 private:
  WindowAttentionOptions options_;
  double scale_ = 1.0;
};
TORCH_MODULE(WindowAttention);

}  // namespace focal::swin
