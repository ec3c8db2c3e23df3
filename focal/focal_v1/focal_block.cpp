#include "focal/focal_v1/focal_block.h"

#include "focal/layers/attention/window_pooling.h"

#include <torch/torch.h>

namespace focal {
FocalBlockImpl::FocalBlockImpl(FocalBlockOptions options) : options_(std::move(options)) { reset(); }

void FocalBlockImpl::reset() {
  const auto& o = options_;
  // A map that fits in one window: no partition, no expansion, no shift.
  expand_size_ = fit_window(o, "focal") ? 0 : o.expand_size();

  pool_layers = register_module("pool_layers", torch::nn::ModuleList());
  const bool pooled = o.pool_method() != "none" && o.focal_level() > 1;
  if (pooled)
    append_window_pool_layers(pool_layers, o.pool_method(), o.dim(), window_size_, o.focal_level() - 1);

  register_norm1(o.dim());
  if (o.topk() > 0) {
    // The original v2 attention reads one pooled map per level above 0; without pooling it fails.
    TORCH_CHECK(o.focal_level() == 1 || pooled, "Focal-v2 block: focal level ", o.focal_level(),
                " needs a pooling method (fc, conv, mean or max), not 'none'");
    topk_attn = register_module(
        "attn",
        v2::TopkAttention(v2::TopkAttentionOptions(o.dim(), o.num_heads(), o.resolution_h(), o.resolution_w())
                              .window_size(window_size_)
                              .focal_level(o.focal_level())
                              .topk(o.topk())
                              .qkv_bias(o.qkv_bias())
                              .qk_scale(o.qk_scale())
                              .attn_drop(o.attn_drop())
                              .proj_drop(o.drop())));
  } else {
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
  }
  register_mlp_and_mask(o);
  if (o.use_layerscale()) {
    gamma_1 = register_parameter("gamma_1", torch::full({o.dim()}, o.layerscale_value()));
    gamma_2 = register_parameter("gamma_2", torch::full({o.dim()}, o.layerscale_value()));
  }
}

torch::Tensor FocalBlockImpl::forward(const torch::Tensor& x, int64_t height, int64_t width) {
  const int64_t batch = x.size(0), dim = x.size(2), ws = window_size_;
  TORCH_CHECK(x.size(1) == height * width, "focal block: ", x.size(1), " tokens for a ", height, "x", width,
              " map");
  auto h = norm1->forward(x).view({batch, height, width, dim});  // (B, H, W, C)
  const int64_t pad_b = (ws - height % ws) % ws, pad_r = (ws - width % ws) % ws;
  TORCH_CHECK(!topk_attn || (pad_b == 0 && pad_r == 0), "Focal-v2 block: a ", height, "x", width,
              " map is not a multiple of the window ", ws, " (the original partitions it without padding)");
  if (pad_b > 0 || pad_r > 0) h = torch::constant_pad_nd(h, {0, 0, 0, pad_r, 0, pad_b}, 0);  // (B, Hp, Wp, C)
  if (shift_size_ > 0) h = torch::roll(h, {-shift_size_, -shift_size_}, {1, 2});             // (B, Hp, Wp, C)

  std::vector<torch::Tensor> pooled;
  const int64_t levels = attn ? attn->pooled_levels() : topk_attn->pooled_levels();
  for (int64_t k = 0; k < levels; ++k) {
    pooled.push_back(pool_windows(h, k, ws, options_.pool_method(), pool_layers));  // (B, Ph_k, Pw_k, C)
  }
  auto y = attn ? attn->forward(h, pooled) : topk_attn->forward(h, pooled);  // (B, Hp, Wp, C)

  if (shift_size_ > 0) y = torch::roll(y, {shift_size_, shift_size_}, {1, 2});  // (B, Hp, Wp, C)
  if (pad_b > 0 || pad_r > 0) y = y.narrow(1, 0, height).narrow(2, 0, width);   // (B, H, W, C)
  y = y.reshape({batch, height * width, dim});                                  // (B, L, C)

  return residual_mlp(x, y, options_.drop_path(), gamma_1, gamma_2);  // (B, L, C)
}

}  // namespace focal
