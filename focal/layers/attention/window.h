#pragma once
// Non-overlapping windows of a (B, H, W, C) map and the shifted-window attention mask (Swin, Focal).
#include <torch/types.h>

#include <cstdint>

namespace focal {

// (B, H, W, C) with H, W multiples of ws -> (B * nW, ws*ws, C), windows in row-major order.
torch::Tensor window_partition(const torch::Tensor& x, int64_t window_size);
// Inverse of window_partition: (B * nW, ws*ws, C) -> (B, H, W, C).
torch::Tensor window_reverse(const torch::Tensor& windows, int64_t window_size, int64_t height,
                             int64_t width);

// The shifted-window mask (nW, L, L) for a padded map hp x wp after a cyclic shift by -shift: 0 within a
// region, -100 across regions; regions per axis are [0, n - ws), [n - ws, n - shift), [n - shift, n).
torch::Tensor shifted_window_mask(int64_t hp, int64_t wp, int64_t window_size, int64_t shift_size);

}  // namespace focal
