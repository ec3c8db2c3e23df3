#include "focal/layers/blocks/window_block.h"

#include "focal/layers/attention/window.h"
#include "focal/layers/blocks/drop_path.h"

#include <torch/torch.h>

#include <algorithm>

namespace focal {

bool WindowBlockImpl::fit_window(int64_t window_size, int64_t shift_size, int64_t resolution_h,
                                 int64_t resolution_w, const std::string& family) {
  window_size_ = window_size;
  shift_size_ = shift_size;
  const bool reduced = std::min(resolution_h, resolution_w) <= window_size_;
  if (reduced) {
    shift_size_ = 0;
    window_size_ = std::min(resolution_h, resolution_w);
  }
  TORCH_CHECK(shift_size_ >= 0 && shift_size_ < window_size_, family, " block: shift size ", shift_size_,
              " must be in [0, window size ", window_size_, ")");
  return reduced;
}

void WindowBlockImpl::register_norm1(int64_t dim) {
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
}

void WindowBlockImpl::register_mlp_and_mask(int64_t dim, int64_t hidden, double drop, int64_t resolution_h,
                                            int64_t resolution_w) {
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  mlp = register_module("mlp", Mlp(MlpOptions(dim, hidden).drop(drop)));
  mask_hp_ = mask_wp_ = 0;
  if (shift_size_ > 0) {
    mask_hp_ = (resolution_h + window_size_ - 1) / window_size_ * window_size_;
    mask_wp_ = (resolution_w + window_size_ - 1) / window_size_ * window_size_;
    register_buffer("attn_mask", shifted_window_mask(mask_hp_, mask_wp_, window_size_, shift_size_));
  }
}

torch::Tensor WindowBlockImpl::residual_mlp(const torch::Tensor& x, const torch::Tensor& y,
                                            double drop_path_rate, const torch::Tensor& gamma_1,
                                            const torch::Tensor& gamma_2) {
  auto out = x + drop_path(gamma_1.defined() ? gamma_1 * y : y, drop_path_rate, is_training());  // (B, L, C)
  auto m = mlp->forward(norm2->forward(out));                                                    // (B, L, C)
  return out + drop_path(gamma_2.defined() ? gamma_2 * m : m, drop_path_rate, is_training());    // (B, L, C)
}

}  // namespace focal
