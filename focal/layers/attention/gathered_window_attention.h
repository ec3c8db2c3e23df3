#pragma once
// The attention core Focal (v1) and Focal-v2 share: queries in non-overlapping windows of a map, keys and
// values gathered for every window with one index_select from a table of projected tokens (the fine map
// followed by pooled maps), one attention with an additive bias: scaled_dot_product_attention on a GPU, with
// attention dropout and under autocast; on the CPU in float32/float64 one custom autograd node (explicit
// GEMMs and softmax, gradients written into the projections' layout), which removes SDPA's math-path copies.
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace focal {

struct GatheredKeys {
  const torch::Tensor& key_index;  // (nW * S) int64 rows of the key/value table, window-major
  int64_t num_tokens;              // rows of the table (fine map, pooled maps, optional zero row)
  bool zero_row;                   // append one all-zero key/value row (padding keys of v1)
};

// x: (B, H, W, C) with H, W multiples of `window`; pooled: (B, P_k, ..., C) maps whose projected tokens
// follow the fine map's in the table; bias: (1 or B, nH*nW, L, S) additive, in q's dtype or castable.
// The qkv projection's query part is applied to x only, its key/value part to x and the pooled maps.
// Returns (B, H, W, C) before the output projection.
torch::Tensor gathered_window_attention(const torch::Tensor& x, const std::vector<torch::Tensor>& pooled,
                                        const torch::nn::Linear& qkv, const GatheredKeys& keys,
                                        const torch::Tensor& bias, int64_t num_heads, int64_t window,
                                        double scale, double dropout);

}  // namespace focal
