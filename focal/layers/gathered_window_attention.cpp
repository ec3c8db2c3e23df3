#include "focal/layers/gathered_window_attention.h"

#include <torch/torch.h>

namespace focal {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The CPU attention of gathered keys as one autograd node. SDPA's math path (the CPU path with an additive
// bias and gradients) scales queries and keys separately, checks every row for -inf (safe softmax) and, in
// its backward, joins the key and value gradients and fills a zeroed buffer per gathered view. Here the scale
// is the GEMM's alpha, the bias is the GEMM's initial value, the softmax works in place, and the key and
// value gradients are written straight into the rows of one buffer that is scattered back into the table
// once.
class GatheredAttention : public torch::autograd::Function<GatheredAttention> {
 public:
  // q: (B, M, L, hd) with M = nH*nW; table: (B, nH, N, 2hd) keys|values of every token per head;
  // index: (nW*S) table rows of the key slots, window-major; bias: (1 or B, M, L, S).
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& table,
                               const torch::Tensor& index, const torch::Tensor& bias, double scale) {
    const int64_t batch = q.size(0), m = q.size(1), l = q.size(2), hd = q.size(3), s = bias.size(3);
    auto kv = table.index_select(2, index).view({batch * m, s, 2 * hd});  // (B*M, S, 2hd)
    auto k = kv.narrow(2, 0, hd);                                         // (B*M, S, hd)
    auto v = kv.narrow(2, hd, hd);                                        // (B*M, S, hd)
    auto q3 = q.reshape({batch * m, l, hd});                              // (B*M, L, hd)
    auto attn = torch::empty({batch * m, l, s}, q.options());             // (B*M, L, S)
    attn.view({batch, m, l, s}).copy_(bias.expand({batch, m, l, s}));
    attn.baddbmm_(q3, k.transpose(1, 2), 1.0, scale);  // (B*M, L, S) bias + scale q k^T
    at::_softmax_out(attn, attn, -1, false);           // (B*M, L, S) in place
    ctx->save_for_backward({q3, kv, attn, index});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["batch"] = batch;
    ctx->saved_data["heads"] = table.size(1);
    ctx->saved_data["tokens"] = table.size(2);
    ctx->saved_data["bias_batch"] = bias.size(0);
    return at::bmm(attn, v).view({batch, m, l, hd});  // (B, M, L, hd)
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &q3 = saved[0], &kv = saved[1], &attn = saved[2], &index = saved[3];
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t batch = ctx->saved_data["batch"].toInt(), heads = ctx->saved_data["heads"].toInt();
    const int64_t tokens = ctx->saved_data["tokens"].toInt();
    const int64_t g = q3.size(0), l = q3.size(1), hd = q3.size(2), s = kv.size(1);
    auto grad = grads[0].reshape({g, l, hd});                // (B*M, L, hd)
    auto k = kv.narrow(2, 0, hd), v = kv.narrow(2, hd, hd);  // (B*M, S, hd)

    auto grad_kv = torch::empty_like(kv);                                          // (B*M, S, 2hd)
    auto grad_v = grad_kv.narrow(2, hd, hd);                                       // (B*M, S, hd)
    at::bmm_out(grad_v, attn.transpose(1, 2), grad);                               // dV = P^T dO
    auto grad_s = at::bmm(grad, v.transpose(1, 2));                                // (B*M, L, S) dP
    at::_softmax_backward_data_out(grad_s, grad_s, attn, -1, attn.scalar_type());  // dZ, in place
    auto grad_k = grad_kv.narrow(2, 0, hd);                                        // (B*M, S, hd)
    at::bmm_out(grad_k, grad_s.transpose(1, 2), q3 * scale);                       // dK = scale dZ^T Q
    auto grad_q = at::bmm(grad_s, k).mul_(scale);                                  // (B*M, L, hd) dQ

    torch::Tensor grad_table, grad_bias;
    if (ctx->needs_input_grad(1)) {
      grad_table = torch::zeros({batch, heads, tokens, 2 * hd}, kv.options())
                       .index_add_(2, index, grad_kv.view({batch, heads, -1, 2 * hd}));  // (B, nH, N, 2hd)
    }
    if (ctx->needs_input_grad(3)) {
      auto dz = grad_s.view({batch, -1, l, s});                                       // (B, M, L, S)
      grad_bias = ctx->saved_data["bias_batch"].toInt() == 1 ? dz.sum(0, true) : dz;  // (1 or B, M, L, S)
    }
    return {grad_q.view(grads[0].sizes()), grad_table, torch::Tensor(), grad_bias, torch::Tensor()};
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
  std::vector<torch::Tensor> kv_maps{
      torch::nn::functional::linear(x.reshape({batch, hp * wp, dim}), weights[1], biases[1])};  // (B, HW, 2C)
  for (const auto& p : pooled) {
    kv_maps.push_back(
        torch::nn::functional::linear(p.reshape({batch, -1, dim}), weights[1], biases[1]));  // (B, P_k, 2C)
  }
  if (keys.zero_row) kv_maps.push_back(torch::zeros({batch, 1, 2 * dim}, kv_maps[0].options()));
  auto kv = torch::cat(kv_maps, 1);  // (B, N, 2C)
  TORCH_CHECK(kv.size(1) == keys.num_tokens, "window attention: ", kv.size(1),
              " key/value tokens, the index table expects ", keys.num_tokens);
  kv = kv.view({batch, keys.num_tokens, 2, nh, hd})         // (B, N, 2, nH, hd)
           .permute({0, 3, 1, 2, 4})                        // (B, nH, N, 2, hd)
           .reshape({batch, nh, keys.num_tokens, 2 * hd});  // (B, nH, N, 2hd)
  torch::Tensor out;
  // SDPA elsewhere: fused kernels on a GPU, and the one path with attention dropout or reduced precision.
  const bool explicit_cpu =
      x.is_cpu() && dropout == 0.0 && (q.scalar_type() == torch::kFloat || q.scalar_type() == torch::kDouble);
  if (explicit_cpu) {
    out = GatheredAttention::apply(q, kv, keys.key_index, bias.to(q.scalar_type()),
                                   scale);  // (B, nH*nW, L, hd)
  } else {
    kv = kv.index_select(2, keys.key_index)        // (B, nH, nW*S, 2hd)
             .view({batch, nh * nw, -1, 2 * hd});  // (B, nH*nW, S, 2hd)
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
