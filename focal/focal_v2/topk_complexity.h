#pragma once
// Size and cost of one Focal-v2 attention, as the original counts them (WindowAttention.flops of
// focal_transformer_v2.py): the network around it is counted with Focal v1's (focal_v1/focal_complexity).
#include <cstdint>
#include <vector>

namespace focal::v2 {

// Keys per level of a block on a resolution x resolution map with window `window` (the original's topks).
std::vector<int64_t> block_topks(int64_t resolution, int64_t window, int64_t focal_level, int64_t topk);
// MACs of one window of `window`^2 queries: qkv, q.k and attn.v over every level's keys, the
// coordinate-to-bias MLPs (counted per pooled query as the original does), the output projection.
int64_t topk_attention_macs(int64_t dim, int64_t heads, int64_t window, const std::vector<int64_t>& topks);
// Parameters of the coordinate-to-bias MLPs of `focal_level` levels: Linear(2, hd), ReLU, Linear(hd, heads).
int64_t coord_mlp_params(int64_t dim, int64_t heads, int64_t focal_level);

}  // namespace focal::v2
