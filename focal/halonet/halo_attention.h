#pragma once
// Blocked local self-attention with halos (HaloNet, Vaswani et al., CVPR 2021), with timm's HaloAttn
// parameter layout (`q`, `kv` with per-head interleaved [k_i, v_i] channels, `pos_embed.height_rel` /
// `pos_embed.width_rel`), so that timm weights load unchanged.
//
// Queries are taken in non-overlapping blocks of block_size^2 pixels; every query of a block attends to
// the same (block_size + 2 halo)^2 window of keys around its block; keys outside the map are zeros (not
// masked). Maps that are not a multiple of block_size are zero-padded bottom/right and the result cropped.
// Stride 2 samples the queries (1x1 strided projection; each block then has (block_size / 2)^2 queries
// whose position index for the relative logits is their index in the subsampled block, as timm); with an
// odd block size (or avg_down) it runs at stride 1 and average-pools 2x2 (ceil mode) instead.
#include "focal/halonet/rel_pos_embed.h"

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <optional>

namespace focal::halonet {

struct HaloAttentionOptions {
  explicit HaloAttentionOptions(int64_t dim) : dim_(dim) {}
  TORCH_ARG(int64_t, dim);
  // Output (= value) width; dim when unset. Value width per head = dim_out / num_heads.
  TORCH_ARG(std::optional<int64_t>, dim_out) = std::nullopt;
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, num_heads) = 8;
  // Query/key width per head; make_divisible(dim_out * qk_ratio, 8) / num_heads when unset (timm).
  TORCH_ARG(std::optional<int64_t>, dim_head) = std::nullopt;
  TORCH_ARG(int64_t, block_size) = 8;
  TORCH_ARG(int64_t, halo_size) = 3;
  TORCH_ARG(double, qk_ratio) = 1.0;
  TORCH_ARG(bool, qkv_bias) = false;
  // Stride 2 by stride-1 attention + 2x2 average pooling even when the block size is even.
  TORCH_ARG(bool, avg_down) = false;
  // Scale (q.k + rel) by dim_head^-0.5 instead of q.k alone.
  TORCH_ARG(bool, scale_pos_embed) = false;
  TORCH_ARG(RelPosLayout, rel_pos_layout) = RelPosLayout::kTimm;
};

class HaloAttentionImpl : public torch::nn::Cloneable<HaloAttentionImpl> {
 public:
  explicit HaloAttentionImpl(HaloAttentionOptions options);
  void reset() override;
  // timm's init: q/kv weights truncated normal with std fan_in^-0.5, position tables std dim_head^-0.5.
  void reset_parameters();
  // (B, dim, H, W) -> (B, dim_out, ceil(H / stride), ceil(W / stride)), any H, W >= 1.
  torch::Tensor forward(const torch::Tensor& x);

  int64_t dim_head_qk() const { return dim_head_qk_; }
  int64_t dim_head_v() const { return dim_head_v_; }
  int64_t win_size() const { return options.block_size() + 2 * options.halo_size(); }
  // Stride applied to the queries (1 when striding is done by pooling) and the query block side.
  int64_t query_stride() const { return query_stride_; }
  int64_t query_block() const { return options.block_size() / query_stride_; }
  bool pools() const { return options.stride() > 1 && query_stride_ == 1; }

  HaloAttentionOptions options;
  torch::nn::Conv2d q{nullptr};
  torch::nn::Conv2d kv{nullptr};
  RelPosEmbed pos_embed{nullptr};

 private:
  int64_t dim_head_qk_ = 0;
  int64_t dim_head_v_ = 0;
  int64_t query_stride_ = 1;
};
TORCH_MODULE(HaloAttention);

}  // namespace focal::halonet
