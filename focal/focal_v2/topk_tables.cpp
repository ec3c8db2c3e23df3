#include "focal/focal_v2/topk_tables.h"

#include <torch/torch.h>

#include <algorithm>

namespace focal::v2 {
namespace {

// (2, h*w) int64 grid coordinates (row, column), row-major.
torch::Tensor grid_coords(const torch::Tensor& rows, const torch::Tensor& cols) {
  auto mesh = torch::meshgrid({rows, cols}, "ij");
  return torch::stack({mesh[0], mesh[1]}).flatten(1);  // (2, h*w)
}

}  // namespace

torch::Tensor window_coords(int64_t ws) {
  auto offsets = torch::arange(ws, torch::kInt64) - ws / 2;  // (ws,)
  auto mesh = torch::meshgrid({offsets, offsets}, "ij");
  return torch::stack({mesh[0], mesh[1]}, -1);  // (ws, ws, 2)
}

int64_t topk_level_keys(int64_t level, int64_t height, int64_t width, int64_t ws, int64_t topk) {
  const int64_t keys = level == 0 ? height * width : (height / ws) * (width / ws);
  return std::min(topk, keys);
}

TopkLevelTable topk_level_table(int64_t level, int64_t height, int64_t width, int64_t ws, int64_t topk) {
  TORCH_CHECK(topk > 0, "Focal-v2: top-K must be positive, got ", topk);
  const int64_t nwh = height / ws, nww = width / ws;
  const int64_t key_h = level == 0 ? height : nwh, key_w = level == 0 ? width : nww;

  // Query positions: the window grid, mapped onto the key grid when the two differ. The original compares
  // and scales by the first (height) dimension only; so does this.
  auto q_rows = torch::arange(nwh, torch::kInt64), q_cols = torch::arange(nww, torch::kInt64);
  if (nwh != key_h) {
    const int64_t factor = key_h / nwh;
    q_rows = q_rows * factor + factor / 2;
    q_cols = q_cols * factor + factor / 2;
  }
  auto q = grid_coords(q_rows, q_cols);                                                            // (2, Nq)
  auto k = grid_coords(torch::arange(key_h, torch::kInt64), torch::arange(key_w, torch::kInt64));  // (2, Nk)
  auto relative = q.unsqueeze(2) - k.unsqueeze(1);  // (2, Nq, Nk)
  auto rel_f = relative.to(torch::kFloat);
  auto distance = torch::sqrt(rel_f[0].pow(2) + rel_f[1].pow(2));  // (Nq, Nk) float32, as the original

  TopkLevelTable table;
  table.k = std::min(topk, distance.size(1));
  // torch.topk of the negated distances (largest, sorted): the same kernel decides the same ties.
  table.indices = std::get<1>(torch::topk(-distance, table.k, 1));  // (Nq, K)
  auto offsets = torch::gather(relative, 2, table.indices.unsqueeze(0).expand({2, -1, -1}))
                     .permute({1, 2, 0})
                     .to(torch::kFloat);                       // (Nq, K, 2)
  if (level > 0) offsets = offsets * static_cast<double>(ws);  // pooled windows are ws tokens apart
  auto within = window_coords(ws).view({-1, 2});               // (L, 2)
  table.coords = offsets.unsqueeze(1) + within.unsqueeze(0).unsqueeze(2).to(torch::kFloat);  // (Nq, L, K, 2)
  return table;
}

}  // namespace focal::v2
