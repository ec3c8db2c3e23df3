#include "focal/halonet/blocked_attention.h"

#include <torch/torch.h>

#include <algorithm>

namespace focal::halonet {
namespace {

// `t` (..., d) followed by `extra` zero columns, without materialising the zeros separately.
torch::Tensor zero_columns_like(const torch::Tensor& t, int64_t extra) {
  auto shape = t.sizes().vec();
  shape.back() = extra;
  return torch::zeros({1}, t.options()).expand(shape);
}

}  // namespace

// The position term is folded into one dot product so that a fused (flash) attention kernel applies and the
// (P x w^2) logits are never stored: the query gets its 2w position logits appended, and each key the
// one-hot codes of its row and column:  [q, rel] . [k, onehot(ky), onehot(kx)] = q.k + rel[ky] + rel[w + kx].
// The fused kernels need equal query/key and value widths, so the narrower side gets zero columns.
torch::Tensor blocked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& rel) {
  const int64_t win = rel.size(-1) / 2, queries = q.size(-2), dq = q.size(-1), dv = v.size(-1);
  TORCH_CHECK(k.dim() == q.dim() + 1 && v.dim() == q.dim() + 1 && rel.dim() == q.dim() && k.size(-3) == win &&
                  k.size(-2) == win && k.size(-1) == dq && v.size(-3) == win && v.size(-2) == win &&
                  rel.size(-2) == queries && rel.size(-1) == 2 * win,
              "blocked_attention: inconsistent shapes q ", q.sizes(), " k ", k.sizes(), " v ", v.sizes(),
              " rel ", rel.sizes());
  const int64_t augmented = dq + 2 * win;
  int64_t width = std::max(augmented, dv);
  if (!q.is_cpu()) width = (width + 7) / 8 * 8;  // GPU fused kernels want multiples of 8

  auto lead = q.sizes().slice(0, q.dim() - 2).vec();
  int64_t batch = 1;
  for (auto d : lead) batch *= d;

  std::vector<torch::Tensor> q_parts{q, rel};
  if (width > augmented) q_parts.push_back(zero_columns_like(q, width - augmented));
  auto qa = torch::cat(q_parts, -1).view({batch, 1, queries, width});  // (Z, 1, P, D)

  auto eye = torch::eye(win, k.options());                             // (w, w)
  auto codes = torch::cat({eye.unsqueeze(1).expand({win, win, win}),   // row code of key (ky, kx)
                           eye.unsqueeze(0).expand({win, win, win})},  // column code
                          -1);                                         // (w, w, 2w)
  auto code_shape = k.sizes().vec();
  code_shape.back() = 2 * win;
  std::vector<torch::Tensor> k_parts{k, codes.expand(code_shape)};
  if (width > augmented) k_parts.push_back(zero_columns_like(k, width - augmented));
  auto ka = torch::cat(k_parts, -1).view({batch, 1, win * win, width});  // (Z, 1, w^2, D)

  auto va = width > dv ? torch::cat({v, zero_columns_like(v, width - dv)}, -1) : v.contiguous();
  va = va.view({batch, 1, win * win, width});  // (Z, 1, w^2, D)

  auto out = at::scaled_dot_product_attention(qa, ka, va, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                              /*is_causal=*/false, /*scale=*/1.0);  // (Z, 1, P, D)
  lead.push_back(queries);
  lead.push_back(dv);
  return out.narrow(-1, 0, dv).view(lead);  // (..., P, dv), row stride D
}

}  // namespace focal::halonet
