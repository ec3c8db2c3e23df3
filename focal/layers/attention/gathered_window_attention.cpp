#include "focal/layers/attention/gathered_window_attention.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

namespace focal {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The CPU attention of gathered keys as one autograd node, from the projections to the attended values.
// Autograd through SDPA's math path (the CPU path with an additive bias and gradients) scales queries and
// keys separately, checks every row for -inf (safe softmax), and in its backward joins the key and value
// gradients, scatters them into a zero-filled buffer and copies the table's gradient back through the
// concatenation of the projected maps. Here the table is written once from the projections, the scale is the
// GEMM's alpha, the bias is the GEMM's initial value, both softmax passes work in place, and the gradients of
// the queries, keys and values are written straight into the layout of the projections.
class GatheredAttention : public torch::autograd::Function<GatheredAttention> {
 public:
  // qkv: (B, Hp, Wp, 3C) projected map, queries|keys|values, each (nH, hd); qkv_pooled: (B, P, 3C) projected
  // pooled tokens (P may be 0), whose queries are not used; index: (nW*S) table rows of the key slots,
  // window-major, over the map's tokens, the pooled tokens and, with zero_row, one all-zero row; bias: (1 or
  // B, nH*nW, L, S). Returns (B, nH*nW, L, hd).
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& qkv,
                               const torch::Tensor& qkv_pooled, const torch::Tensor& index,
                               const torch::Tensor& bias, int64_t nh, int64_t ws, bool zero_row,
                               double scale) {
    const int64_t batch = qkv.size(0), hp = qkv.size(1), wp = qkv.size(2), dim = qkv.size(3) / 3;
    const int64_t hd = dim / nh, area = ws * ws, nwh = hp / ws, nww = wp / ws, m = nh * nwh * nww;
    const int64_t fine = hp * wp, coarse = qkv_pooled.size(1), rows = fine + coarse + (zero_row ? 1 : 0);
    const int64_t s = bias.size(3);
    TORCH_CHECK(index.numel() == nwh * nww * s, "window attention: ", index.numel(), " key slots for ",
                nwh * nww, " windows of ", s, " keys");

    auto q3 = qkv.view({batch, nwh, ws, nww, ws, 3, nh, hd})
                  .select(5, 0)                                          // (B, nWh, ws, nWw, ws, nH, hd)
                  .permute({0, 5, 1, 3, 2, 4, 6})                        // (B, nH, nWh, nWw, ws, ws, hd)
                  .reshape({batch * m, area, hd});                       // (B*M, L, hd)
    auto table = torch::empty({batch, nh, rows, 2, hd}, qkv.options());  // (B, nH, N, 2, hd)
    table.narrow(2, 0, fine)
        .copy_(qkv.view({batch, fine, 3, nh, hd})
                   .narrow(2, 1, 2)
                   .permute({0, 3, 1, 2, 4}));  // (B, nH, HW, 2, hd)
    if (coarse > 0) {
      table.narrow(2, fine, coarse)
          .copy_(qkv_pooled.view({batch, coarse, 3, nh, hd})
                     .narrow(2, 1, 2)
                     .permute({0, 3, 1, 2, 4}));  // (B, nH, P, 2, hd)
    }
    if (zero_row) table.narrow(2, fine + coarse, 1).zero_();
    auto kv = table.view({batch, nh, rows, 2 * hd}).index_select(2, index).view({batch * m, s, 2 * hd});
    auto k = kv.narrow(2, 0, hd);   // (B*M, S, hd)
    auto v = kv.narrow(2, hd, hd);  // (B*M, S, hd)

    auto attn = torch::empty({batch * m, area, s}, qkv.options());  // (B*M, L, S)
    attn.view({batch, m, area, s}).copy_(bias.expand({batch, m, area, s}));
    attn.baddbmm_(q3, k.transpose(1, 2), 1.0, scale);  // (B*M, L, S) bias + scale q k^T
    at::_softmax_out(attn, attn, -1, false);           // (B*M, L, S) in place
    ctx->save_for_backward({q3, kv, attn, index});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["shape"] = std::vector<int64_t>{batch, hp, wp, nh, ws, coarse, rows, bias.size(0)};
    return at::bmm(attn, v).view({batch, m, area, hd});  // (B, M, L, hd)
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &q3 = saved[0], &kv = saved[1], &attn = saved[2], &index = saved[3];
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto shape = ctx->saved_data["shape"].toIntVector();
    const int64_t batch = shape[0], hp = shape[1], wp = shape[2], nh = shape[3], ws = shape[4];
    const int64_t coarse = shape[5], rows = shape[6], bias_batch = shape[7];
    const int64_t g = q3.size(0), area = q3.size(1), hd = q3.size(2), s = kv.size(1);
    const int64_t nwh = hp / ws, nww = wp / ws, fine = hp * wp;
    auto grad = grads[0].reshape({g, area, hd});             // (B*M, L, hd)
    auto k = kv.narrow(2, 0, hd), v = kv.narrow(2, hd, hd);  // (B*M, S, hd)

    auto grad_v = at::bmm(attn.transpose(1, 2), grad);                             // (B*M, S, hd) P^T dO
    auto grad_s = at::bmm(grad, v.transpose(1, 2));                                // (B*M, L, S) dP
    at::_softmax_backward_data_out(grad_s, grad_s, attn, -1, attn.scalar_type());  // dZ, in place
    auto grad_k = at::bmm(grad_s.transpose(1, 2), q3 * scale);  // (B*M, S, hd) scale dZ^T Q
    auto grad_q = at::bmm(grad_s, k).mul_(scale);               // (B*M, L, hd) scale dZ K

    // Key and value gradients scattered into the halves of the table's rows: no concatenation.
    auto grad_table = torch::zeros({batch, nh, rows, 2, hd}, kv.options());  // (B, nH, N, 2, hd)
    grad_table.select(3, 0).index_add_(2, index, grad_k.view({batch, nh, -1, hd}));
    grad_table.select(3, 1).index_add_(2, index, grad_v.view({batch, nh, -1, hd}));

    const int64_t dim = nh * hd;
    auto grad_qkv = torch::empty({batch, fine, 3, nh, hd}, kv.options());  // (B, HW, 3, nH, hd)
    grad_qkv.view({batch, nwh, ws, nww, ws, 3, nh, hd})
        .select(5, 0)
        .permute({0, 5, 1, 3, 2, 4, 6})
        .copy_(grad_q.view({batch, nh, nwh, nww, ws, ws, hd}));
    grad_qkv.narrow(2, 1, 2).copy_(grad_table.narrow(2, 0, fine).permute({0, 2, 3, 1, 4}));
    torch::Tensor grad_pooled;
    if (coarse > 0) {
      grad_pooled = torch::empty({batch, coarse, 3, nh, hd}, kv.options());  // (B, P, 3, nH, hd)
      grad_pooled.select(2, 0).zero_();
      grad_pooled.narrow(2, 1, 2).copy_(grad_table.narrow(2, fine, coarse).permute({0, 2, 3, 1, 4}));
      grad_pooled = grad_pooled.view({batch, coarse, 3 * dim});  // (B, P, 3C)
    }
    torch::Tensor grad_bias;
    if (ctx->needs_input_grad(3)) {
      auto dz = grad_s.view({batch, -1, area, s});         // (B, M, L, S)
      grad_bias = bias_batch == 1 ? dz.sum(0, true) : dz;  // (1 or B, M, L, S)
    }
    return {grad_qkv.view({batch, hp, wp, 3 * dim}),
            grad_pooled,
            torch::Tensor(),
            grad_bias,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor gathered_window_attention(const torch::Tensor& x, const std::vector<torch::Tensor>& pooled,
                                        const torch::nn::Linear& qkv, const GatheredKeys& keys,
                                        const torch::Tensor& bias, int64_t nh, int64_t ws, double scale,
                                        double dropout) {
  const int64_t batch = x.size(0), hp = x.size(1), wp = x.size(2), dim = x.size(3);
  const int64_t hd = dim / nh, area = ws * ws, nwh = hp / ws, nww = wp / ws, nw = nwh * nww;
  TORCH_CHECK(hp % ws == 0 && wp % ws == 0, "window attention: map ", hp, "x", wp,
              " is not a multiple of the window ", ws);

  int64_t coarse = 0;
  for (const auto& p : pooled) coarse += p.numel() / (batch * dim);
  TORCH_CHECK(hp * wp + coarse + (keys.zero_row ? 1 : 0) == keys.num_tokens,
              "window attention: ", hp * wp + coarse + (keys.zero_row ? 1 : 0),
              " key/value tokens, the index table expects ", keys.num_tokens);

  torch::Tensor out;
  // SDPA elsewhere: fused kernels on a GPU, and the one path with attention dropout or reduced precision
  // (autocast included).
  const bool explicit_cpu = x.is_cpu() && dropout == 0.0 && !at::autocast::is_autocast_enabled(at::kCPU) &&
                            (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble);
  if (explicit_cpu) {
    // The whole projection for the pooled tokens too, as the original: the few unused queries cost less
    // than splitting the weight (whose backward zero-fills the unused part and joins the parts).
    auto projected = torch::nn::functional::linear(x, qkv->weight, qkv->bias);  // (B, Hp, Wp, 3C)
    std::vector<torch::Tensor> projected_pooled;
    for (const auto& p : pooled) {
      projected_pooled.push_back(torch::nn::functional::linear(p.reshape({batch, -1, dim}), qkv->weight,
                                                               qkv->bias));  // (B, P_k, 3C)
    }
    auto qkv_pooled = projected_pooled.empty()       ? torch::empty({batch, 0, 3 * dim}, projected.options())
                      : projected_pooled.size() == 1 ? projected_pooled[0]
                                                     : torch::cat(projected_pooled, 1);  // (B, P, 3C)
    out = GatheredAttention::apply(projected, qkv_pooled, keys.key_index, bias.to(projected.scalar_type()),
                                   nh, ws, keys.zero_row, scale);  // (B, nH*nW, L, hd)
  } else {
    // The pooled maps need only keys and values: split the projection instead of computing unused queries.
    const auto weights = qkv->weight.split_with_sizes({dim, 2 * dim}, 0);
    std::vector<torch::Tensor> biases{torch::Tensor(), torch::Tensor()};
    if (qkv->bias.defined()) biases = qkv->bias.split_with_sizes({dim, 2 * dim}, 0);
    // Queries grouped by head and window.
    auto q = torch::nn::functional::linear(x, weights[0], biases[0]);  // (B, Hp, Wp, C)
    q = q.view({batch, nwh, ws, nww, ws, nh, hd})                      // (B, nWh, ws, nWw, ws, nH, hd)
            .permute({0, 5, 1, 3, 2, 4, 6})                            // (B, nH, nWh, nWw, ws, ws, hd)
            .reshape({batch, nh * nw, area, hd});                      // (B, nH*nW, L, hd)
    // One key/value table over every granularity, then one gather of all key slots of all windows.
    std::vector<torch::Tensor> kv_maps{torch::nn::functional::linear(x.reshape({batch, hp * wp, dim}),
                                                                     weights[1], biases[1])};  // (B, HW, 2C)
    for (const auto& p : pooled) {
      kv_maps.push_back(
          torch::nn::functional::linear(p.reshape({batch, -1, dim}), weights[1], biases[1]));  // (B, P_k, 2C)
    }
    if (keys.zero_row) kv_maps.push_back(torch::zeros({batch, 1, 2 * dim}, kv_maps[0].options()));
    auto kv = torch::cat(kv_maps, 1)                              // (B, N, 2C)
                  .view({batch, keys.num_tokens, 2, nh, hd})      // (B, N, 2, nH, hd)
                  .permute({0, 3, 1, 2, 4})                       // (B, nH, N, 2, hd)
                  .reshape({batch, nh, keys.num_tokens, 2 * hd})  // (B, nH, N, 2hd)
                  .index_select(2, keys.key_index)                // (B, nH, nW*S, 2hd)
                  .view({batch, nh * nw, -1, 2 * hd});            // (B, nH*nW, S, 2hd)
    // split, not two narrows: its backward is one concatenation instead of two zero-filled full buffers.
    auto kv_parts = kv.split(hd, 3);
    out = at::scaled_dot_product_attention(q, kv_parts[0], kv_parts[1], bias.to(q.scalar_type()), dropout,
                                           false, scale);  // (B, nH*nW, L, hd)
  }
  return out
      .view({batch, nh, nwh, nww, ws, ws, hd})  // (B, nH, nWh, nWw, ws, ws, hd)
      .permute({0, 2, 4, 3, 5, 1, 6})           // (B, nWh, ws, nWw, ws, nH, hd)
      .reshape({batch, hp, wp, dim});           // (B, Hp, Wp, C)
}

}  // namespace focal
