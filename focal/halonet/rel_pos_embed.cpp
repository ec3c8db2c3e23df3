#include "focal/halonet/rel_pos_embed.h"

#include "focal/model/weight_init.h"

#include <torch/torch.h>

#include <cmath>

namespace focal::halonet {
namespace {

// For every query p = (qy, qx) of a block, the table row of each of the `win` key offsets along one axis:
// (win - 1) + k - coordinate(p). (block^2, win), int64.
torch::Tensor offset_rows(int64_t block, int64_t win, bool along_height, const torch::Device& device) {
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  auto coord = torch::arange(block, opts);                                        // (block)
  coord = along_height ? coord.repeat_interleave(block) : coord.repeat({block});  // (block^2)
  return (win - 1) + torch::arange(win, opts).unsqueeze(0) - coord.unsqueeze(1);  // (block^2, win)
}

// q_part: (..., P, d), table: (2 win - 1, d) -> (..., P, win)
torch::Tensor axis_logits(const torch::Tensor& q_part, const torch::Tensor& table, const torch::Tensor& rows) {
  auto all = torch::matmul(q_part, table.t());  // (..., P, 2 win - 1)
  auto shape = all.sizes().vec();
  shape.back() = rows.size(1);
  return all.gather(-1, rows.expand(shape));    // (..., P, win)
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

std::pair<torch::Tensor, torch::Tensor> RelPosEmbedImpl::forward(const torch::Tensor& q) {
  const int64_t block = options.block_size(), win = options.win_size();
  TORCH_CHECK(q.dim() >= 2 && q.size(-2) == block * block && q.size(-1) == options.dim_head(),
              "RelPosEmbed: expected queries (..., ", block * block, ", ", options.dim_head(), "), got ",
              q.sizes());
  auto rows_h = offset_rows(block, win, /*along_height=*/true, q.device());   // (P, win)
  auto rows_w = offset_rows(block, win, /*along_height=*/false, q.device());  // (P, win)
  if (options.layout() == RelPosLayout::kTimm) {
    return {axis_logits(q, height_rel, rows_h), axis_logits(q, width_rel, rows_w)};  // 2 x (..., P, win)
  }
  const int64_t dh = height_rel.size(1);
  auto q_h = q.narrow(-1, 0, dh);                // (..., P, d/2)
  auto q_w = q.narrow(-1, dh, q.size(-1) - dh);  // (..., P, d - d/2)
  return {axis_logits(q_h, height_rel, rows_h), axis_logits(q_w, width_rel, rows_w)};  // 2 x (..., P, win)
}

}  // namespace focal::halonet
