#include "focal/layers/attention/relative_position.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace focal {

torch::Tensor relative_position_index(int64_t ws) { return relative_position_index_to_windows(ws, ws); }

torch::Tensor relative_position_index_to_windows(int64_t ws, int64_t kw) {
  auto index = torch::empty({ws * ws, kw * kw}, torch::kInt64);
  auto acc = index.accessor<int64_t, 2>();
  for (int64_t q = 0; q < ws * ws; ++q) {
    for (int64_t k = 0; k < kw * kw; ++k) {
      acc[q][k] = (q / ws - k / kw + kw - 1) * (ws + kw - 1) + (q % ws - k % kw + kw - 1);
    }
  }
  return index;
}

torch::Tensor resize_square_grids(const torch::Tensor& rows, int64_t side) {
  TORCH_CHECK(rows.dim() == 2, "resize_square_grids expects (N, S*S) rows, got ", rows.sizes());
  const int64_t n = rows.size(0);
  const auto s1 = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(rows.size(1)))));
  if (s1 * s1 != rows.size(1)) {
    throw std::invalid_argument(std::to_string(rows.size(1)) + " entries per row are not a square grid");
  }
  namespace F = torch::nn::functional;
  auto grid = rows.to(torch::kFloat).reshape({1, n, s1, s1});  // (1, N, S1, S1)
  auto out = F::interpolate(grid, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{side, side})
                                      .mode(torch::kBicubic)
                                      .align_corners(false));  // (1, N, side, side)
  return out.reshape({n, side * side});                        // (N, side*side)
}

}  // namespace focal
