#include "focal/halonet/halo_attention.h"

#include "focal/halonet/blocked_attention.h"
#include "focal/halonet/channel_rounding.h"
#include "focal/model/weight_init.h"

#include <torch/torch.h>

#include <cmath>

namespace focal::halonet {
namespace F = torch::nn::functional;

HaloAttentionImpl::HaloAttentionImpl(HaloAttentionOptions options_) : options(std::move(options_)) { reset(); }

void HaloAttentionImpl::reset() {
  const int64_t dim_out = options.dim_out().value_or(options.dim());
  const int64_t heads = options.num_heads();
  TORCH_CHECK(options.dim() > 0 && heads > 0 && dim_out % heads == 0, "HaloAttention: dim_out ", dim_out,
              " must be a positive multiple of num_heads ", heads);
  TORCH_CHECK(options.stride() == 1 || options.stride() == 2, "HaloAttention: stride must be 1 or 2, got ",
              options.stride());
  TORCH_CHECK(options.block_size() > 0 && options.halo_size() >= 0, "HaloAttention: block_size ",
              options.block_size(), " and halo_size ", options.halo_size(), " must be positive / non-negative");
  dim_head_qk_ = options.dim_head().value_or(
      make_divisible(static_cast<double>(dim_out) * options.qk_ratio(), 8) / heads);
  TORCH_CHECK(dim_head_qk_ > 0, "HaloAttention: query/key width per head must be positive");
  dim_head_v_ = dim_out / heads;
  query_stride_ = 1;
  if (options.stride() > 1 && !options.avg_down() && options.block_size() % options.stride() == 0) {
    query_stride_ = options.stride();
  }
  q = register_module("q", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.dim(), heads * dim_head_qk_, 1)
                                                 .stride(query_stride_)
                                                 .bias(options.qkv_bias())));
  kv = register_module("kv", torch::nn::Conv2d(torch::nn::Conv2dOptions(
                                                   options.dim(), heads * (dim_head_qk_ + dim_head_v_), 1)
                                                   .bias(options.qkv_bias())));
  pos_embed = register_module(
      "pos_embed", RelPosEmbed(RelPosEmbedOptions(query_block(), win_size(), dim_head_qk_)
                                   .layout(options.rel_pos_layout())));
  reset_parameters();
}

void HaloAttentionImpl::reset_parameters() {
  const double std = 1.0 / std::sqrt(static_cast<double>(options.dim()));
  focal::trunc_normal_(q->weight, std);
  focal::trunc_normal_(kv->weight, std);
  if (options.qkv_bias()) {
    torch::NoGradGuard no_grad;
    q->bias.zero_();
    kv->bias.zero_();
  }
  pos_embed->reset_parameters();
}

torch::Tensor HaloAttentionImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.dim(), "HaloAttention: expected input (B, ", options.dim(),
              ", H, W), got ", x.sizes());
  const int64_t batch = x.size(0), height = x.size(2), width = x.size(3);
  const int64_t heads = options.num_heads(), dq = dim_head_qk_, dv = dim_head_v_;
  const int64_t block = options.block_size(), halo = options.halo_size(), win = win_size();
  const int64_t s = query_stride_, qb = query_block();
  const int64_t nbh = (height + block - 1) / block, nbw = (width + block - 1) / block;
  const int64_t hp = nbh * block, wp = nbw * block;  // padded map

  auto qmap = q(x);                                                                 // (B, n dq, ceil(H/s), ceil(W/s))
  const int64_t hq = qmap.size(2), wq = qmap.size(3);
  qmap = F::pad(qmap, F::PadFuncOptions({0, wp / s - wq, 0, hp / s - hq}));        // (B, n dq, Hp/s, Wp/s)
  auto queries = qmap.reshape({batch, heads, dq, nbh, qb, nbw, qb})
                     .permute({0, 1, 3, 5, 4, 6, 2})
                     .reshape({batch, heads, nbh, nbw, qb * qb, dq});              // (B, n, nbh, nbw, qb^2, dq)

  // Zero halo all around plus zero fill bottom/right up to a multiple of the block.
  auto kvmap = F::pad(kv(x), F::PadFuncOptions({halo, halo + wp - width, halo, halo + hp - height}));
  auto windows = kvmap.reshape({batch, heads, dq + dv, hp + 2 * halo, wp + 2 * halo})
                     .unfold(3, win, block)
                     .unfold(4, win, block)                                         // (B, n, dq+dv, nbh, nbw, w, w)
                     .permute({0, 1, 3, 4, 5, 6, 2});                               // (B, n, nbh, nbw, w, w, dq+dv)
  auto keys = windows.narrow(-1, 0, dq);                                            // (B, n, nbh, nbw, w, w, dq)
  auto values = windows.narrow(-1, dq, dv);                                         // (B, n, nbh, nbw, w, w, dv)

  auto [rel_h, rel_w] = pos_embed(queries);                                         // 2 x (B, n, nbh, nbw, qb^2, w)
  const double scale = 1.0 / std::sqrt(static_cast<double>(dq));
  auto out = blocked_attention(queries, keys, values, rel_h, rel_w, scale,
                               options.scale_pos_embed());                         // (B, n, nbh, nbw, qb^2, dv)
  out = out.view({batch, heads, nbh, nbw, qb, qb, dv})
            .permute({0, 1, 6, 2, 4, 3, 5})
            .reshape({batch, heads * dv, hp / s, wp / s});                          // (B, n dv, Hp/s, Wp/s)
  out = out.narrow(2, 0, hq).narrow(3, 0, wq);                                      // (B, n dv, ceil(H/s), ceil(W/s))
  if (pools()) {
    out = F::avg_pool2d(out, F::AvgPool2dFuncOptions(2).stride(2).ceil_mode(true));  // (B, n dv, ceil(H/2), ceil(W/2))
  }
  return out;
}

}  // namespace focal::halonet
