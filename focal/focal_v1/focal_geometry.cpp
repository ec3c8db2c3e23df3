#include "focal/focal_v1/focal_geometry.h"

#include <torch/torch.h>

#include <numeric>
#include <stdexcept>
#include <string>

namespace focal {
namespace {

int64_t pow2(int64_t k) { return int64_t{1} << k; }

// Which of the four rolled copies keeps slot (a, b) of the window: the original zeroes a quadrant of each
// direction's mask (tl: [:-e, :-e], tr: [:-e, e:], bl: [e:, :-e], br: [e:, e:]).
bool rolled_slot_kept(int64_t direction, int64_t a, int64_t b, int64_t ws, int64_t e) {
  const bool top = a < ws - e, bottom = a >= e, left = b < ws - e, right = b >= e;
  switch (direction) {
    case 0:
      return !(top && left);
    case 1:
      return !(top && right);
    case 2:
      return !(bottom && left);
    default:
      return !(bottom && right);
  }
}

}  // namespace

int64_t FocalKeyLayout::total() const {
  return window_keys + rolled_keys + std::accumulate(pooled_keys.begin(), pooled_keys.end(), int64_t{0});
}

torch::Tensor valid_ind_rolled(int64_t ws, int64_t e) {
  std::vector<int64_t> kept;
  for (int64_t d = 0; d < 4; ++d)
    for (int64_t a = 0; a < ws; ++a)
      for (int64_t b = 0; b < ws; ++b)
        if (rolled_slot_kept(d, a, b, ws, e)) kept.push_back(d * ws * ws + a * ws + b);
  return torch::tensor(kept, torch::kInt64);
}

int64_t unfold_kernel_size(int64_t fw, int64_t k) { return 2 * (fw / 2) + pow2(k) + (pow2(k) - 1); }

torch::Tensor valid_ind_unfold(int64_t fw, int64_t k) {
  // The original keeps mask[2^k - 1:, 2^k - 1:] of the K x K unfold kernel (flattened row-major).
  const int64_t kernel = unfold_kernel_size(fw, k), skip = pow2(k) - 1;
  std::vector<int64_t> kept;
  for (int64_t i = skip; i < kernel; ++i)
    for (int64_t j = skip; j < kernel; ++j) kept.push_back(i * kernel + j);
  return torch::tensor(kept, torch::kInt64);
}

int64_t to_windows_table_side(int64_t ws, int64_t fw, int64_t k) { return ws + fw + pow2(k) - 2; }

int64_t rolled_key_count(int64_t ws, int64_t e) { return 4 * ws * ws - 4 * (ws - e) * (ws - e); }

FocalKeyLayout focal_key_layout(const FocalAttentionGeometryOptions& o) {
  FocalKeyLayout layout;
  const int64_t ws = o.window_size;
  layout.window_keys = ws * ws;
  if (o.expand_size > 0 && o.focal_level > 0)
    layout.rolled_keys = valid_ind_rolled(ws, o.expand_size).numel();
  if (o.pooled && o.focal_level > 1) {
    for (int64_t k = 0; k + 1 < o.focal_level; ++k) {
      const int64_t kernel = unfold_kernel_size(o.focal_window, k);
      const int64_t kept_side = k == 0 ? kernel : kernel - (pow2(k) - 1);
      const int64_t key_window = o.focal_window + pow2(k) - 1;
      if (kept_side != key_window) {
        throw std::invalid_argument("focal window " + std::to_string(o.focal_window) +
                                    " gives an unfold kernel that does not match its bias table "
                                    "(the original requires an odd focal window)");
      }
      layout.pooled_keys.push_back(kept_side * kept_side);
    }
  }
  return layout;
}

FocalAttentionGeometry build_focal_geometry(const FocalAttentionGeometryOptions& o, int64_t hp, int64_t wp) {
  const int64_t ws = o.window_size, e = o.expand_size, area = ws * ws;
  if (hp % ws != 0 || wp % ws != 0) {
    throw std::invalid_argument("focal attention: map " + std::to_string(hp) + "x" + std::to_string(wp) +
                                " is not padded to a multiple of the window " + std::to_string(ws));
  }
  const FocalKeyLayout layout = focal_key_layout(o);
  const int64_t slots = layout.total();

  FocalAttentionGeometry g;
  g.hp = hp;
  g.wp = wp;
  g.windows_h = hp / ws;
  g.windows_w = wp / ws;
  const int64_t nw = g.num_windows();

  // Token table rows: fine map, then each pooled level's map, then one zero row.
  std::vector<int64_t> level_offset;
  int64_t rows = hp * wp;
  for (size_t k = 0; k < layout.pooled_keys.size(); ++k) {
    g.pooled_h.push_back(g.windows_h * pow2(k));
    g.pooled_w.push_back(g.windows_w * pow2(k));
    level_offset.push_back(rows);
    rows += g.pooled_h.back() * g.pooled_w.back();
  }
  const int64_t zero_row = rows;
  g.num_tokens = rows + 1;

  // Bias columns: window table ((2ws-1)^2), neighbour table (L * rolled), to_windows tables.
  const int64_t neighbours_offset = (2 * ws - 1) * (2 * ws - 1);
  int64_t windows_offset =
      neighbours_offset + area * rolled_key_count(ws, e > 0 ? e : 0) * (layout.rolled_keys > 0);

  g.key_index = torch::empty({nw, slots}, torch::kInt64);
  g.bias_index = torch::empty({area, slots}, torch::kInt64);
  auto key = g.key_index.accessor<int64_t, 2>();
  auto bias = g.bias_index.accessor<int64_t, 2>();
  torch::Tensor mask = torch::zeros({nw, slots});
  auto mask_acc = mask.accessor<float, 2>();
  bool any_mask = false;

  // Window tokens.
  auto rpi = relative_position_index(ws);
  auto rpi_acc = rpi.accessor<int64_t, 2>();
  for (int64_t w = 0; w < nw; ++w) {
    const int64_t y0 = (w / g.windows_w) * ws, x0 = (w % g.windows_w) * ws;
    for (int64_t s = 0; s < area; ++s) key[w][s] = (y0 + s / ws) * wp + x0 + s % ws;
  }
  for (int64_t q = 0; q < area; ++q)
    for (int64_t s = 0; s < area; ++s) bias[q][s] = rpi_acc[q][s];
  int64_t slot = area;

  // Rolled surroundings: torch.roll by (dy, dx) reads token (i - dy) mod n, wrapping at the border.
  if (layout.rolled_keys > 0) {
    const int64_t shifts[4][2] = {{-e, -e}, {-e, e}, {e, -e}, {e, e}};
    int64_t r = 0;
    for (int64_t d = 0; d < 4; ++d) {
      for (int64_t a = 0; a < ws; ++a) {
        for (int64_t b = 0; b < ws; ++b) {
          if (!rolled_slot_kept(d, a, b, ws, e)) continue;
          for (int64_t w = 0; w < nw; ++w) {
            const int64_t y = ((w / g.windows_w) * ws + a - shifts[d][0] % hp + hp) % hp;
            const int64_t x = ((w % g.windows_w) * ws + b - shifts[d][1] % wp + wp) % wp;
            key[w][slot + r] = y * wp + x;
          }
          for (int64_t q = 0; q < area; ++q)
            bias[q][slot + r] = neighbours_offset + q * layout.rolled_keys + r;
          ++r;
        }
      }
    }
    slot += layout.rolled_keys;
  }

  // Pooled levels: unfold with kernel K, stride 2^k, zero padding K/2 over the pooled map; for k > 0 only
  // kernel positions [2^k - 1:, 2^k - 1:] are kept. Out-of-map positions read the zero row and get -100.
  for (size_t k = 0; k < layout.pooled_keys.size(); ++k) {
    const int64_t kernel = unfold_kernel_size(o.focal_window, static_cast<int64_t>(k));
    const int64_t pad = kernel / 2, stride = pow2(k), skip = k == 0 ? 0 : pow2(k) - 1;
    const int64_t key_window = kernel - skip;
    const int64_t ph = g.pooled_h[k], pw = g.pooled_w[k];
    for (int64_t w = 0; w < nw; ++w) {
      const int64_t wy = w / g.windows_w, wx = w % g.windows_w;
      for (int64_t j = 0; j < key_window * key_window; ++j) {
        const int64_t py = wy * stride - pad + skip + j / key_window;
        const int64_t px = wx * stride - pad + skip + j % key_window;
        const bool inside = py >= 0 && py < ph && px >= 0 && px < pw;
        key[w][slot + j] = inside ? level_offset[k] + py * pw + px : zero_row;
        if (!inside) {
          mask_acc[w][slot + j] = -100.0f;
          any_mask = true;
        }
      }
    }
    auto rpi_k = relative_position_index_to_windows(ws, key_window);
    auto rpi_k_acc = rpi_k.accessor<int64_t, 2>();
    for (int64_t q = 0; q < area; ++q)
      for (int64_t j = 0; j < key_window * key_window; ++j)
        bias[q][slot + j] = windows_offset + rpi_k_acc[q][j];
    const int64_t side = to_windows_table_side(ws, o.focal_window, static_cast<int64_t>(k));
    windows_offset += side * side;
    slot += key_window * key_window;
  }

  // (nW, S) pooled-padding mask broadcast over queries, plus the shifted-window mask on the window keys.
  torch::Tensor full = mask.unsqueeze(1).repeat({1, area, 1});  // (nW, L, S)
  if (o.shift_size > 0) {
    full.narrow(2, 0, area).add_(shifted_window_mask(hp, wp, ws, o.shift_size));
    any_mask = true;
  }
  g.key_index = g.key_index.reshape({-1});
  g.bias_index = g.bias_index.reshape({-1});
  if (any_mask) g.mask = full;
  return g;
}

}  // namespace focal
