#include "focal/halonet/rel_pos_embed.h"

#include "focal/layers/backbone/weight_init.h"

#include <torch/torch.h>

#include <cmath>

namespace focal::halonet {
namespace {

// For every query p = (qy, qx) of a block, the row of the stacked [height; width] table for each of its 2 win
// logits: height offsets (win - 1) + ky - qy, then width offsets (2 win - 1) + (win - 1) + kx - qx.
// (block^2, 2 win), int64.
torch::Tensor table_rows(int64_t block, int64_t win, const torch::Device& device) {
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  auto coord = torch::arange(block, opts);
  auto qy = coord.repeat_interleave(block).unsqueeze(1);                           // (block^2, 1)
  auto qx = coord.repeat({block}).unsqueeze(1);                                    // (block^2, 1)
  auto k = torch::arange(win, opts).unsqueeze(0);                                  // (1, win)
  return torch::cat({(win - 1) + k - qy, (2 * win - 1) + (win - 1) + k - qx}, 1);  // (block^2, 2 win)
}

}  // namespace

RelPosEmbedImpl::RelPosEmbedImpl(RelPosEmbedOptions options_) : options(std::move(options_)) { reset(); }

void RelPosEmbedImpl::reset() {
  TORCH_CHECK(options.block_size() > 0 && options.win_size() >= options.block_size(),
              "RelPosEmbed: block_size ", options.block_size(), " must be positive and at most win_size ",
              options.win_size());
  TORCH_CHECK(options.dim_head() >= (options.layout() == RelPosLayout::kPaper ? 2 : 1),
              "RelPosEmbed: dim_head ", options.dim_head(), " too small for the layout");
  const int64_t rows = 2 * options.win_size() - 1;
  const int64_t dh = options.layout() == RelPosLayout::kTimm ? options.dim_head() : options.dim_head() / 2;
  const int64_t dw = options.layout() == RelPosLayout::kTimm ? options.dim_head() : options.dim_head() - dh;
  height_rel = register_parameter("height_rel", torch::empty({rows, dh}));
  width_rel = register_parameter("width_rel", torch::empty({rows, dw}));
  reset_parameters();
}

void RelPosEmbedImpl::reset_parameters() {
  const double std = 1.0 / std::sqrt(static_cast<double>(options.dim_head()));
  focal::trunc_normal_(height_rel, std);
  focal::trunc_normal_(width_rel, std);
}

torch::Tensor RelPosEmbedImpl::forward(const torch::Tensor& q, double table_scale) {
  const int64_t block = options.block_size(), win = options.win_size(), dim = options.dim_head();
  TORCH_CHECK(q.dim() >= 2 && q.size(-2) == block * block && q.size(-1) == dim,
              "RelPosEmbed: expected queries (..., ", block * block, ", ", dim, "), got ", q.sizes());
  // One (2 (2w-1), dim) table for both axes: the paper layout's half-width tables sit on a block diagonal
  // (zeros against the other half of q), so a single matmul serves both layouts.
  torch::Tensor table;
  if (options.layout() == RelPosLayout::kTimm) {
    table = torch::cat({height_rel, width_rel}, 0);  // (2 (2w-1), dim)
  } else {
    const int64_t dh = height_rel.size(1);
    table = torch::cat(
        {torch::constant_pad_nd(height_rel, {0, dim - dh}), torch::constant_pad_nd(width_rel, {dh, 0})},
        0);  // (2 (2w-1), dim)
  }
  if (table_scale != 1.0) table = table * table_scale;
  auto all = torch::matmul(q, table.t());          // (..., P, 2 (2w-1))
  auto rows = table_rows(block, win, q.device());  // (P, 2w)
  auto shape = all.sizes().vec();
  shape.back() = 2 * win;
  return all.gather(-1, rows.expand(shape));  // (..., P, 2w)
}

}  // namespace focal::halonet
