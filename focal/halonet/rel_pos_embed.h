#pragma once
// Relative position logits of blocked local attention. A query at (qy, qx) of its block and a key at
// (ky, kx) of the block's window (window origin = block origin - halo) get
//   timm layout:  q . height_rel[w-1 + ky - qy] + q . width_rel[w-1 + kx - qx]
//   paper layout: q[:d/2] . height_rel[w-1 + ky - qy] + q[d/2:] . width_rel[w-1 + kx - qx]
// (the paper concatenates two half-width embeddings, timm adds two full-width ones). The height part
// depends on ky only and the width part on kx only, so a query's logits over the w x w window are given by
// 2w numbers: callers never need the (queries x w^2) sum.
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace focal::halonet {

enum class RelPosLayout { kTimm, kPaper };

struct RelPosEmbedOptions {
  RelPosEmbedOptions(int64_t block_size, int64_t win_size, int64_t dim_head)
      : block_size_(block_size), win_size_(win_size), dim_head_(dim_head) {}
  // Side of a query block (after query striding) and of the key window.
  TORCH_ARG(int64_t, block_size);
  TORCH_ARG(int64_t, win_size);
  TORCH_ARG(int64_t, dim_head);
  TORCH_ARG(RelPosLayout, layout) = RelPosLayout::kTimm;
};

class RelPosEmbedImpl : public torch::nn::Cloneable<RelPosEmbedImpl> {
 public:
  explicit RelPosEmbedImpl(RelPosEmbedOptions options);
  void reset() override;
  // Truncated normal with std dim_head^-0.5, as timm.
  void reset_parameters();
  // q: (..., block_size^2, dim_head), queries row-major in their block -> (..., block_size^2, 2 win):
  // [:win] the height logits by ky, [win:] the width logits by kx, both multiplied by `table_scale` (applied
  // to the small tables, which lets callers pass pre-scaled queries).
  torch::Tensor forward(const torch::Tensor& q, double table_scale = 1.0);

  RelPosEmbedOptions options;
  torch::Tensor height_rel;  // (2 win - 1, dim_head) timm, (2 win - 1, dim_head / 2) paper
  torch::Tensor width_rel;   // (2 win - 1, dim_head) timm, (2 win - 1, dim_head - dim_head / 2) paper
};
TORCH_MODULE(RelPosEmbed);

}  // namespace focal::halonet
