#pragma once
// A plain per-pixel reference of halo attention, written independently of the module's blocked tensors:
// every query attends its block's (b + 2h)^2 window, keys outside the map being zero.
#include <torch/torch.h>

#include <cstdint>

namespace focal::halonet::test {

struct BruteForceSpec {
  int64_t heads, dim_qk, dim_v, block, halo, stride;  // per-head widths
  bool paper_layout, scale_pos, avg_down;
};

// x: (B, C, H, W) double. wq: (heads*dqk, C), bq: (heads*dqk) or undefined; wkv: (heads*(dqk+dv), C) in
// timm's per-head interleaved order, bkv likewise; height_rel / width_rel as in the module.
torch::Tensor brute_force_halo_attention(const torch::Tensor& x, const torch::Tensor& wq,
                                         const torch::Tensor& bq, const torch::Tensor& wkv,
                                         const torch::Tensor& bkv, const torch::Tensor& height_rel,
                                         const torch::Tensor& width_rel, const BruteForceSpec& spec);

}  // namespace focal::halonet::test
