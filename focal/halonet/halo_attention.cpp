#include "focal/halonet/halo_attention.h"

#include "focal/halonet/blocked_attention.h"
#include "focal/halonet/channel_rounding.h"
#include "focal/layers/backbone/weight_init.h"

#include <torch/torch.h>

#include <cmath>

namespace focal::halonet {
namespace F = torch::nn::functional;

namespace {

// A per-head interleaved [k_0, v_0, k_1, v_1, ...] tensor along dim 0 (the kv weight or bias) -> its key rows
// and its value rows, each in head order.
std::pair<torch::Tensor, torch::Tensor> split_kv(const torch::Tensor& t, int64_t heads, int64_t dq,
                                                 int64_t dv) {
  auto rest = t.sizes().slice(1).vec();
  std::vector<int64_t> per_head{heads, dq + dv}, k_shape{heads * dq}, v_shape{heads * dv};
  for (auto d : rest) {
    per_head.push_back(d);
    k_shape.push_back(d);
    v_shape.push_back(d);
  }
  auto grouped = t.view(per_head);  // (n, dq + dv, ...)
  return {grouped.narrow(1, 0, dq).reshape(k_shape), grouped.narrow(1, dq, dv).reshape(v_shape)};
}

// Overlapping windows of a (B, n d, H, W) map: zero halo all around plus zero fill bottom/right up to the
// padded size (hp, wp), then a (block + 2 halo)^2 window every `block` pixels. A view of the padded map.
torch::Tensor windows_of(const torch::Tensor& map, int64_t heads, int64_t block, int64_t halo, int64_t hp,
                         int64_t wp) {
  const int64_t win = block + 2 * halo;
  auto padded =
      F::pad(map, F::PadFuncOptions({halo, halo + wp - map.size(3), halo, halo + hp - map.size(2)}));
  return padded.reshape({map.size(0), heads, map.size(1) / heads, hp + 2 * halo, wp + 2 * halo})
      .unfold(3, win, block)
      .unfold(4, win, block)            // (B, n, d, nbh, nbw, w, w)
      .permute({0, 1, 3, 4, 5, 6, 2});  // (B, n, nbh, nbw, w, w, d)
}

}  // namespace

HaloAttentionImpl::HaloAttentionImpl(HaloAttentionOptions options_) : options(std::move(options_)) {
  reset();
}

void HaloAttentionImpl::reset() {
  const int64_t dim_out = options.dim_out().value_or(options.dim());
  const int64_t heads = options.num_heads();
  TORCH_CHECK(options.dim() > 0 && heads > 0 && dim_out % heads == 0, "HaloAttention: dim_out ", dim_out,
              " must be a positive multiple of num_heads ", heads);
  TORCH_CHECK(options.stride() == 1 || options.stride() == 2, "HaloAttention: stride must be 1 or 2, got ",
              options.stride());
  TORCH_CHECK(options.block_size() > 0 && options.halo_size() >= 0, "HaloAttention: block_size ",
              options.block_size(), " and halo_size ", options.halo_size(),
              " must be positive / non-negative");
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
  kv = register_module(
      "kv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.dim(), heads * (dim_head_qk_ + dim_head_v_), 1)
                                  .bias(options.qkv_bias())));
  pos_embed = register_module(
      "pos_embed",
      RelPosEmbed(
          RelPosEmbedOptions(query_block(), win_size(), dim_head_qk_).layout(options.rel_pos_layout())));
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
  const int64_t block = options.block_size(), halo = options.halo_size();
  const int64_t s = query_stride_, qb = query_block();
  const int64_t nbh = (height + block - 1) / block, nbw = (width + block - 1) / block;
  const int64_t hp = nbh * block, wp = nbw * block;  // padded map

  // The softmax scale goes into the (small) query weights instead of onto the queries; the position tables
  // get the inverse, unless the position term is to be scaled as well.
  const double scale = 1.0 / std::sqrt(static_cast<double>(dq));
  auto q_opts = F::Conv2dFuncOptions().stride(query_stride_);
  if (q->bias.defined()) q_opts.bias(q->bias * scale);
  auto qmap = F::conv2d(x, q->weight * scale, q_opts);  // (B, n dq, ceil(H/s), ceil(W/s))
  const int64_t hq = qmap.size(2), wq = qmap.size(3);
  if (hp / s != hq || wp / s != wq) {
    qmap = F::pad(qmap, F::PadFuncOptions({0, wp / s - wq, 0, hp / s - hq}));  // (B, n dq, Hp/s, Wp/s)
  }
  auto queries = qmap.reshape({batch, heads, dq, nbh, qb, nbw, qb})
                     .permute({0, 1, 3, 5, 4, 6, 2})
                     .reshape({batch, heads, nbh, nbw, qb * qb, dq});  // (B, n, nbh, nbw, qb^2, dq)

  // Keys and values from their own rows of the interleaved `kv` weight: two separate maps, so that no large
  // activation gets sliced (the backward of a slice zero-fills and copies the whole tensor).
  auto [w_k, w_v] = split_kv(kv->weight, heads, dq, dv);
  auto k_opts = F::Conv2dFuncOptions(), v_opts = F::Conv2dFuncOptions();
  if (kv->bias.defined()) {
    auto [b_k, b_v] = split_kv(kv->bias, heads, dq, dv);
    k_opts.bias(b_k);
    v_opts.bias(b_v);
  }
  auto keys =
      windows_of(F::conv2d(x, w_k, k_opts), heads, block, halo, hp, wp);  // (B, n, nbh, nbw, w, w, dq)
  auto values =
      windows_of(F::conv2d(x, w_v, v_opts), heads, block, halo, hp, wp);  // (B, n, nbh, nbw, w, w, dv)

  auto rel = pos_embed(queries, options.scale_pos_embed() ? 1.0 : 1.0 / scale);  // (B, n, nbh, nbw, qb^2, 2w)
  auto out = blocked_attention(queries, keys, values, rel);                      // (B, n, nbh, nbw, qb^2, dv)
  out = out.view({batch, heads, nbh, nbw, qb, qb, dv})
            .permute({0, 1, 6, 2, 4, 3, 5})
            .reshape({batch, heads * dv, hp / s, wp / s});  // (B, n dv, Hp/s, Wp/s)
  out = out.narrow(2, 0, hq).narrow(3, 0, wq);              // (B, n dv, ceil(H/s), ceil(W/s))
  if (pools()) {
    out = F::avg_pool2d(
        out, F::AvgPool2dFuncOptions(2).stride(2).ceil_mode(true));  // (B, n dv, ceil(H/2), ceil(W/2))
  }
  return out;
}

}  // namespace focal::halonet
