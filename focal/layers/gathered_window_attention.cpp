#include "focal/layers/gathered_window_attention.h"

#include <torch/torch.h>

namespace focal {

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
  kv = kv.view({batch, keys.num_tokens, 2, nh, hd})        // (B, N, 2, nH, hd)
           .permute({0, 3, 1, 2, 4})                       // (B, nH, N, 2, hd)
           .reshape({batch, nh, keys.num_tokens, 2 * hd})  // (B, nH, N, 2hd)
           .index_select(2, keys.key_index)                // (B, nH, nW*S, 2hd)
           .view({batch, nh * nw, -1, 2 * hd});            // (B, nH*nW, S, 2hd)
  // split, not two narrows: its backward is one concatenation instead of two zero-filled full buffers.
  auto kv_parts = kv.split(hd, 3);
  const auto& k = kv_parts[0];  // (B, nH*nW, S, hd)
  const auto& v = kv_parts[1];  // (B, nH*nW, S, hd)

  auto out = at::scaled_dot_product_attention(q, k, v, bias.to(q.scalar_type()), dropout, false,
                                              scale);  // (B, nH*nW, L, hd)
  return out
      .view({batch, nh, nwh, nww, ws, ws, hd})  // (B, nH, nWh, nWw, ws, ws, hd)
      .permute({0, 2, 4, 3, 5, 1, 6})           // (B, nWh, ws, nWw, ws, nH, hd)
      .reshape({batch, hp, wp, dim});           // (B, Hp, Wp, C)
}

}  // namespace focal
