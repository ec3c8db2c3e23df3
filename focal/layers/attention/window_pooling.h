#pragma once
// Window pooling of the focal levels (Focal v1 and v2): level k summarises sub-windows of ws / 2^k tokens
// of the (trimmed or zero-padded) map into one token each, by mean, max, a learned linear weighting (`fc`)
// or a depthwise strided convolution (`conv`).
#include <torch/nn/modules/container/modulelist.h>
#include <torch/types.h>

#include <cstdint>
#include <string>

namespace focal {

// Appends the learned pooling layers of levels 0..levels-1 (none for mean and max): `fc` Linear(s*s, 1),
// `conv` Conv2d(dim, dim, s, stride s, groups dim), s = window >> k. Throws for an unknown method.
void append_window_pool_layers(torch::nn::ModuleList& layers, const std::string& method, int64_t dim,
                               int64_t window, int64_t levels);

// Level-k pooled map of a (B, H, W, C) map whose window grid is ceil(H / window) x ceil(W / window):
// the map is centre-cropped or zero-padded to (grid * 2^k) sub-windows and each sub-window pooled.
// Returns (B, grid_h * 2^k, grid_w * 2^k, C).
torch::Tensor pool_windows(const torch::Tensor& x, int64_t level, int64_t window, const std::string& method,
                           torch::nn::ModuleList layers);

}  // namespace focal
