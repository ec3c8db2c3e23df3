#include "tests/halonet/brute_force_attention.h"

#include <cmath>
#include <vector>

namespace focal::halonet::test {
namespace {

// 1x1 convolution at every pixel: (B, C, H, W) -> (B, O, H, W).
torch::Tensor project(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  auto y = torch::einsum("oc,bchw->bohw", {w, x});
  if (b.defined()) y = y + b.view({1, -1, 1, 1});
  return y;
}

}  // namespace

torch::Tensor brute_force_halo_attention(const torch::Tensor& x, const torch::Tensor& wq,
                                         const torch::Tensor& bq, const torch::Tensor& wkv,
                                         const torch::Tensor& bkv, const torch::Tensor& height_rel,
                                         const torch::Tensor& width_rel, const BruteForceSpec& s) {
  const int64_t batch = x.size(0), height = x.size(2), width = x.size(3);
  const int64_t b = s.block, h = s.halo, win = b + 2 * h;
  // Strided queries when the block divides evenly, else stride 1 followed by 2x2 average pooling.
  const bool pool = s.stride == 2 && (b % 2 != 0 || s.avg_down);
  const int64_t qs = pool ? 1 : s.stride;
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.dim_qk));
  const auto q_map = project(x, wq, bq).contiguous(), kv_map = project(x, wkv, bkv).contiguous();
  auto q = q_map.accessor<double, 4>();
  auto kv = kv_map.accessor<double, 4>();
  auto hr = height_rel.accessor<double, 2>();
  auto wr = width_rel.accessor<double, 2>();
  const int64_t dh = s.paper_layout ? s.dim_qk / 2 : s.dim_qk;  // query channels used for the height part
  const int64_t w_from = s.paper_layout ? dh : 0;               // first query channel of the width part

  const int64_t out_h = (height + qs - 1) / qs, out_w = (width + qs - 1) / qs;
  auto out = torch::zeros({batch, s.heads * s.dim_v, out_h, out_w}, torch::kDouble);
  auto o = out.accessor<double, 4>();
  std::vector<double> logits(win * win);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t head = 0; head < s.heads; ++head) {
      const int64_t qc = head * s.dim_qk, kc = head * (s.dim_qk + s.dim_v), vc = kc + s.dim_qk;
      for (int64_t i = 0; i < out_h; ++i) {
        for (int64_t j = 0; j < out_w; ++j) {
          const int64_t py = i * qs, px = j * qs;  // query pixel
          const int64_t by = py / b, bx = px / b;  // its block
          // Position of the query inside its (subsampled) block, as timm indexes it.
          const int64_t qy = (py % b) / qs, qx = (px % b) / qs;
          double max_logit = -1e300;
          for (int64_t ky = 0; ky < win; ++ky) {
            for (int64_t kx = 0; kx < win; ++kx) {
              const int64_t y = by * b - h + ky, xx = bx * b - h + kx;
              const bool inside = y >= 0 && y < height && xx >= 0 && xx < width;
              double dot = 0.0, rel = 0.0;
              for (int64_t d = 0; d < s.dim_qk; ++d) {
                const double qd = q[n][qc + d][py][px];
                if (inside) dot += qd * kv[n][kc + d][y][xx];
                if (d < dh) rel += qd * hr[win - 1 + ky - qy][d];
                if (d >= w_from) rel += qd * wr[win - 1 + kx - qx][d - w_from];
              }
              double logit = s.scale_pos ? (dot + rel) * scale : dot * scale + rel;
              logits[ky * win + kx] = logit;
              max_logit = std::max(max_logit, logit);
            }
          }
          double total = 0.0;
          for (auto& l : logits) total += (l = std::exp(l - max_logit));
          for (int64_t ky = 0; ky < win; ++ky) {
            for (int64_t kx = 0; kx < win; ++kx) {
              const int64_t y = by * b - h + ky, xx = bx * b - h + kx;
              if (y < 0 || y >= height || xx < 0 || xx >= width) continue;  // zero value
              const double a = logits[ky * win + kx] / total;
              for (int64_t c = 0; c < s.dim_v; ++c)
                o[n][head * s.dim_v + c][i][j] += a * kv[n][vc + c][y][xx];
            }
          }
        }
      }
    }
  }
  if (!pool) return out;
  // 2x2 average over the pixels that exist (the last row/column alone when the size is odd).
  const int64_t ph = (height + 1) / 2, pw = (width + 1) / 2;
  auto pooled = torch::zeros({batch, out.size(1), ph, pw}, torch::kDouble);
  auto p = pooled.accessor<double, 4>();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < out.size(1); ++c)
      for (int64_t i = 0; i < ph; ++i)
        for (int64_t j = 0; j < pw; ++j) {
          double sum = 0.0;
          int64_t count = 0;
          for (int64_t y = 2 * i; y < std::min(2 * i + 2, height); ++y)
            for (int64_t xx = 2 * j; xx < std::min(2 * j + 2, width); ++xx, ++count) sum += o[n][c][y][xx];
          p[n][c][i][j] = sum / static_cast<double>(count);
        }
  return pooled;
}

}  // namespace focal::halonet::test
