#include "focal/swin/swin_block.h"

#include "focal/layers/attention/window.h"

#include <torch/torch.h>

namespace focal::swin {

SwinBlockImpl::SwinBlockImpl(SwinBlockOptions options) : options_(options) { reset(); }

void SwinBlockImpl::reset() {
  const auto& o = options_;
  fit_window(o, "Swin");  // a map that fits in one window: no partition, no shift
  mask_cache_.clear();
  register_norm1(o.dim());
  attn = register_module("attn", WindowAttention(WindowAttentionOptions(o.dim(), window_size_, o.num_heads())
                                                     .qkv_bias(o.qkv_bias())
                                                     .qk_scale(o.qk_scale())
                                                     .attn_drop(o.attn_drop())
                                                     .proj_drop(o.drop())));
  register_mlp_and_mask(o);
}

torch::Tensor SwinBlockImpl::mask_for(int64_t hp, int64_t wp, const torch::Device& device) {
  if (hp == mask_hp_ && wp == mask_wp_) return named_buffers(false)["attn_mask"];
  std::lock_guard<std::mutex> lock(mask_mutex_);
  auto& mask = mask_cache_[{hp, wp}];
  if (!mask.defined() || mask.device() != device)
    mask = shifted_window_mask(hp, wp, window_size_, shift_size_).to(device);
  return mask;
}

torch::Tensor SwinBlockImpl::forward(const torch::Tensor& x, int64_t height, int64_t width) {
  const int64_t batch = x.size(0), dim = x.size(2), ws = window_size_;
  TORCH_CHECK(x.size(1) == height * width, "Swin block: ", x.size(1), " tokens for a ", height, "x", width,
              " map");
  auto h = norm1->forward(x).view({batch, height, width, dim});                   // (B, H, W, C)
  if (shift_size_ > 0) h = torch::roll(h, {-shift_size_, -shift_size_}, {1, 2});  // (B, H, W, C)
  // Maps that are not a multiple of the window are zero-padded after the shift (as timm does).
  const int64_t pad_b = (ws - height % ws) % ws, pad_r = (ws - width % ws) % ws;
  if (pad_b > 0 || pad_r > 0) h = torch::constant_pad_nd(h, {0, 0, 0, pad_r, 0, pad_b}, 0);  // (B, Hp, Wp, C)
  const int64_t hp = height + pad_b, wp = width + pad_r, nw = (hp / ws) * (wp / ws);

  auto windows = window_partition(h, ws).view({batch, nw, ws * ws, dim});  // (B, nW, L, C)
  const auto mask = shift_size_ > 0 ? mask_for(hp, wp, x.device()) : torch::Tensor();
  auto y = attn->forward(windows, mask);                                        // (B, nW, L, C)
  y = window_reverse(y.reshape({batch * nw, ws * ws, dim}), ws, hp, wp);        // (B, Hp, Wp, C)
  if (pad_b > 0 || pad_r > 0) y = y.narrow(1, 0, height).narrow(2, 0, width);   // (B, H, W, C)
  if (shift_size_ > 0) y = torch::roll(y, {shift_size_, shift_size_}, {1, 2});  // (B, H, W, C)
  y = y.reshape({batch, height * width, dim});                                  // (B, L, C)

  return residual_mlp(x, y, options_.drop_path());  // (B, L, C)
}

}  // namespace focal::swin
