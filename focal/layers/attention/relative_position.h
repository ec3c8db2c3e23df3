#pragma once
// Relative-position tables of windowed attention, shared by Focal (v1, v2) and Swin.
//
// A window attention with a (2w-1)^2-entry bias table per head reads entry relative_position_index[q][k] for
// query q and key k of a w x w window. Fine-tuning at another window size resizes those tables as square
// grids (bicubic, align_corners=False, as the original code bases do).
#include <torch/types.h>

#include <cstdint>

namespace focal {

// (ws^2, ws^2) int64: the index of the original `relative_position_index` buffer.
torch::Tensor relative_position_index(int64_t window_size);
// (ws^2, kw^2) int64: query (qa, qb) in a ws x ws window against key (c, d) of a kw x kw grid, into a
// (ws + kw - 1)^2 table: ((qa - c) + kw - 1) * (ws + kw - 1) + (qb - d) + kw - 1.
torch::Tensor relative_position_index_to_windows(int64_t window_size, int64_t key_window);

// Rows of square grids (N, S1*S1) resized to (N, side*side) by bicubic interpolation (float32 result).
// Throws std::invalid_argument when S1*S1 is not a square.
torch::Tensor resize_square_grids(const torch::Tensor& rows, int64_t side);

}  // namespace focal
