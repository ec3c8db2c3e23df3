#include "focal/focal_v1/focal_block.h"

#include "focal/layers/drop_path.h"

#include <torch/torch.h>

#include <algorithm>

namespace focal {
namespace {

// Centre-crops or zero-pads dimension `dim` of x to `target` (the original's trim/pad of pooled levels).
torch::Tensor fit_dimension(const torch::Tensor& x, int64_t dim, int64_t target) {
  const int64_t size = x.size(dim);
  if (size > target) return x.narrow(dim, (size - target) / 2, target);
  if (size < target) {
    const int64_t before = (target - size) / 2, after = target - size - before;
    std::vector<int64_t> pad(2 * (x.dim() - dim), 0);  // F.pad order: last dimension first
    const int64_t slot = 2 * (x.dim() - 1 - dim);
    pad[slot] = before;
    pad[slot + 1] = after;
    return torch::constant_pad_nd(x, pad, 0);
  }
  return x;
}

}  // namespace

FocalBlockImpl::FocalBlockImpl(FocalBlockOptions options) : options_(std::move(options)) { reset(); }

void FocalBlockImpl::reset() {
  const auto& o = options_;
  window_size_ = o.window_size();
  expand_size_ = o.expand_size();
  shift_size_ = o.shift_size();
  if (std::min(o.resolution_h(), o.resolution_w()) <= window_size_) {
    // The map fits in one window: no partition, no expansion, no shift.
    expand_size_ = 0;
    shift_size_ = 0;
    window_size_ = std::min(o.resolution_h(), o.resolution_w());
  }
  TORCH_CHECK(shift_size_ >= 0 && shift_size_ < window_size_, "shift size must be in [0, window size)");

  pool_layers = register_module("pool_layers", torch::nn::ModuleList());
  if (o.pool_method() != "none") {
    for (int64_t k = 0; k + 1 < o.focal_level(); ++k) {
      const int64_t sub = window_size_ >> k;
      TORCH_CHECK(sub > 0, "focal level ", k + 1, " pools windows of ", window_size_, " tokens into nothing");
      if (o.pool_method() == "fc") {
        pool_layers->push_back(torch::nn::Linear(sub * sub, 1));
      } else if (o.pool_method() == "conv") {
        pool_layers->push_back(
            torch::nn::Conv2d(torch::nn::Conv2dOptions(o.dim(), o.dim(), sub).stride(sub).groups(o.dim())));
      } else {
        TORCH_CHECK(o.pool_method() == "mean" || o.pool_method() == "max", "unknown focal pooling method '",
                    o.pool_method(), "' (fc, conv, mean, max or none)");
      }
    }
  }

  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()})));
  attn = register_module("attn", FocalAttention(FocalAttentionOptions(o.dim(), o.num_heads())
                                                    .window_size(window_size_)
                                                    .expand_size(expand_size_)
                                                    .focal_window(o.focal_window())
                                                    .focal_level(o.focal_level())
                                                    .pool_method(o.pool_method())
                                                    .shift_size(shift_size_)
                                                    .qkv_bias(o.qkv_bias())
                                                    .qk_scale(o.qk_scale())
                                                    .attn_drop(o.attn_drop())
                                                    .proj_drop(o.drop())));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim()})));
  mlp = register_module(
      "mlp", Mlp(MlpOptions(o.dim(), static_cast<int64_t>(o.dim() * o.mlp_ratio())).drop(o.drop())));
  if (shift_size_ > 0) {
    const int64_t hp = (o.resolution_h() + window_size_ - 1) / window_size_ * window_size_;
    const int64_t wp = (o.resolution_w() + window_size_ - 1) / window_size_ * window_size_;
    register_buffer("attn_mask", shifted_window_mask(hp, wp, window_size_, shift_size_));
  }
  if (o.use_layerscale()) {
    gamma_1 = register_parameter("gamma_1", torch::full({o.dim()}, o.layerscale_value()));
    gamma_2 = register_parameter("gamma_2", torch::full({o.dim()}, o.layerscale_value()));
  }
}

torch::Tensor FocalBlockImpl::pool_level(const torch::Tensor& x, int64_t level) {
  const int64_t batch = x.size(0), hp = x.size(1), wp = x.size(2), dim = x.size(3);
  const int64_t sub = window_size_ >> level;
  const int64_t ph = hp / window_size_ * (int64_t{1} << level),
                pw = wp / window_size_ * (int64_t{1} << level);
  auto fitted = fit_dimension(fit_dimension(x, 1, ph * sub), 2, pw * sub);  // (B, ph*sub, pw*sub, C)
  const auto& method = options_.pool_method();
  if (method == "conv") {
    auto conv = pool_layers[level]->as<torch::nn::Conv2d>();
    return conv
        ->forward(fitted.permute({0, 3, 1, 2}))  // (B, C, ph, pw)
        .permute({0, 2, 3, 1});                  // (B, ph, pw, C)
  }
  auto windows = fitted.view({batch, ph, sub, pw, sub, dim});  // (B, ph, sub, pw, sub, C)
  if (method == "mean") return windows.mean({2, 4});           // (B, ph, pw, C)
  if (method == "max") return windows.amax({2, 4});            // (B, ph, pw, C)
  auto fc = pool_layers[level]->as<torch::nn::Linear>();
  auto weight = fc->weight.view({sub, sub});                              // (sub, sub)
  return torch::einsum("bhiwjc,ij->bhwc", {windows, weight}) + fc->bias;  // (B, ph, pw, C)
}

torch::Tensor FocalBlockImpl::forward(const torch::Tensor& x, int64_t height, int64_t width) {
  const int64_t batch = x.size(0), dim = x.size(2), ws = window_size_;
  TORCH_CHECK(x.size(1) == height * width, "focal block: ", x.size(1), " tokens for a ", height, "x", width,
              " map");
  auto h = norm1->forward(x).view({batch, height, width, dim});  // (B, H, W, C)
  const int64_t pad_b = (ws - height % ws) % ws, pad_r = (ws - width % ws) % ws;
  if (pad_b > 0 || pad_r > 0) h = torch::constant_pad_nd(h, {0, 0, 0, pad_r, 0, pad_b}, 0);  // (B, Hp, Wp, C)
  if (shift_size_ > 0) h = torch::roll(h, {-shift_size_, -shift_size_}, {1, 2});             // (B, Hp, Wp, C)

  std::vector<torch::Tensor> pooled;
  for (int64_t k = 0; k < attn->pooled_levels(); ++k)
    pooled.push_back(pool_level(h, k));  // (B, Ph_k, Pw_k, C)
  auto y = attn->forward(h, pooled);     // (B, Hp, Wp, C)

  if (shift_size_ > 0) y = torch::roll(y, {shift_size_, shift_size_}, {1, 2});  // (B, Hp, Wp, C)
  if (pad_b > 0 || pad_r > 0) y = y.narrow(1, 0, height).narrow(2, 0, width);   // (B, H, W, C)
  y = y.reshape({batch, height * width, dim});                                  // (B, L, C)

  const double dp = options_.drop_path();
  auto out = x + drop_path(gamma_1.defined() ? gamma_1 * y : y, dp, is_training());  // (B, L, C)
  auto m = mlp->forward(norm2->forward(out));                                        // (B, L, C)
  return out + drop_path(gamma_2.defined() ? gamma_2 * m : m, dp, is_training());    // (B, L, C)
}

}  // namespace focal
