#include "focal/layers/attention/window.h"

#include <torch/torch.h>

#include <vector>

namespace focal {

torch::Tensor window_partition(const torch::Tensor& x, int64_t ws) {
  const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  TORCH_CHECK(h % ws == 0 && w % ws == 0, "window_partition: map ", h, "x", w, " is not a multiple of ", ws);
  return x
      .view({b, h / ws, ws, w / ws, ws, c})  // (B, nWh, ws, nWw, ws, C)
      .permute({0, 1, 3, 2, 4, 5})           // (B, nWh, nWw, ws, ws, C)
      .reshape({-1, ws * ws, c});            // (B*nW, L, C)
}

torch::Tensor window_reverse(const torch::Tensor& windows, int64_t ws, int64_t h, int64_t w) {
  const int64_t c = windows.size(-1), b = windows.size(0) / ((h / ws) * (w / ws));
  return windows
      .view({b, h / ws, w / ws, ws, ws, c})  // (B, nWh, nWw, ws, ws, C)
      .permute({0, 1, 3, 2, 4, 5})           // (B, nWh, ws, nWw, ws, C)
      .reshape({b, h, w, c});                // (B, H, W, C)
}

torch::Tensor shifted_window_mask(int64_t hp, int64_t wp, int64_t ws, int64_t shift) {
  auto region = [&](int64_t i, int64_t n) { return i < n - ws ? 0 : (i < n - shift ? 1 : 2); };
  const int64_t nwh = hp / ws, nww = wp / ws, area = ws * ws;
  auto mask = torch::zeros({nwh * nww, area, area});
  auto acc = mask.accessor<float, 3>();
  for (int64_t wy = 0; wy < nwh; ++wy) {
    for (int64_t wx = 0; wx < nww; ++wx) {
      std::vector<int64_t> label(area);
      for (int64_t a = 0; a < ws; ++a)
        for (int64_t b = 0; b < ws; ++b)
          label[a * ws + b] = region(wy * ws + a, hp) * 3 + region(wx * ws + b, wp);
      for (int64_t i = 0; i < area; ++i)
        for (int64_t j = 0; j < area; ++j) acc[wy * nww + wx][i][j] = label[i] == label[j] ? 0.0f : -100.0f;
    }
  }
  return mask;
}

}  // namespace focal
