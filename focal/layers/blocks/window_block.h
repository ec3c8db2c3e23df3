#pragma once
// What the windowed transformer blocks share (Focal v1/v2, Swin): LayerNorm -> window attention (the
// family's) -> residual with stochastic depth and optional layer scale -> LayerNorm -> MLP -> residual,
// with the originals' names (norm1, attn, norm2, mlp, the attn_mask buffer of shifted blocks). A family's
// block derives from WindowBlockImpl, registers its own `attn` between register_norm1() and
// register_mlp_and_mask(), and ends its forward with residual_mlp().
#include "focal/layers/backbone/shared_arg.h"
#include "focal/layers/blocks/mlp.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>

#include <cstdint>
#include <optional>
#include <string>

namespace focal {

// The block options every family has; `Self` is the family's options struct.
template <typename Self>
struct WindowBlockOptions {
  WindowBlockOptions(int64_t dim, int64_t num_heads, int64_t resolution_h, int64_t resolution_w)
      : dim_(dim), num_heads_(num_heads), resolution_h_(resolution_h), resolution_w_(resolution_w) {}
  FOCAL_SHARED_ARG(int64_t, dim);
  FOCAL_SHARED_ARG(int64_t, num_heads);
  // Map size the block is built for: decides, as in the originals, whether the window shrinks to the map,
  // and the size of the attn_mask buffer.
  FOCAL_SHARED_ARG(int64_t, resolution_h);
  FOCAL_SHARED_ARG(int64_t, resolution_w);
  FOCAL_SHARED_ARG(int64_t, window_size) = 7;
  FOCAL_SHARED_ARG(int64_t, shift_size) = 0;
  FOCAL_SHARED_ARG(double, mlp_ratio) = 4.0;
  FOCAL_SHARED_ARG(bool, qkv_bias) = true;
  FOCAL_SHARED_ARG(std::optional<double>, qk_scale) = std::nullopt;  // head_dim ** -0.5 when unset
  FOCAL_SHARED_ARG(double, drop) = 0.0;
  FOCAL_SHARED_ARG(double, attn_drop) = 0.0;
  FOCAL_SHARED_ARG(double, drop_path) = 0.0;
};

class WindowBlockImpl : public torch::nn::Module {
 public:
  // x: (B, H*W, C) -> (B, H*W, C).
  virtual torch::Tensor forward(const torch::Tensor& x, int64_t height, int64_t width) = 0;

  // Effective window and shift after the originals' reduction for maps not larger than the window.
  int64_t window_size() const { return window_size_; }
  int64_t shift_size() const { return shift_size_; }

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  Mlp mlp{nullptr};

 protected:
  // Sets window_size_ and shift_size_: a map that fits in one window gets no partition and no shift (the
  // window shrinks to the map). Returns whether that reduction applied. `family` names the block in errors.
  template <typename O>
  bool fit_window(const WindowBlockOptions<O>& o, const std::string& family) {
    return fit_window(o.window_size(), o.shift_size(), o.resolution_h(), o.resolution_w(), family);
  }
  bool fit_window(int64_t window_size, int64_t shift_size, int64_t resolution_h, int64_t resolution_w,
                  const std::string& family);
  void register_norm1(int64_t dim);
  // norm2, mlp and, in a shifted block, the attn_mask buffer of the padded built map, in this order.
  template <typename O>
  void register_mlp_and_mask(const WindowBlockOptions<O>& o) {
    register_mlp_and_mask(o.dim(), static_cast<int64_t>(o.dim() * o.mlp_ratio()), o.drop(), o.resolution_h(),
                          o.resolution_w());
  }
  void register_mlp_and_mask(int64_t dim, int64_t hidden, double drop, int64_t resolution_h,
                             int64_t resolution_w);
  // x: (B, L, C) block input, y: (B, L, C) attention output -> (B, L, C):
  // out = x + drop_path(gamma_1 * y); out + drop_path(gamma_2 * mlp(norm2(out))), an undefined gamma
  // standing for 1.
  torch::Tensor residual_mlp(const torch::Tensor& x, const torch::Tensor& y, double drop_path_rate,
                             const torch::Tensor& gamma_1 = {}, const torch::Tensor& gamma_2 = {});

  int64_t window_size_ = 0, shift_size_ = 0;
  int64_t mask_hp_ = 0, mask_wp_ = 0;  // padded map of the attn_mask buffer (0 without one)
};

}  // namespace focal
