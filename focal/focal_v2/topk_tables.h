#pragma once
// Top-K key tables of Focal-v2 attention for one feature-map size.
//
// Every query window of level-0 attends the K tokens of the map nearest to its centre, and at each pooled
// level the K pooled windows nearest to it (nearest in Euclidean distance on the grid, ties resolved as
// torch.topk resolves them, because the original's buffers are what its checkpoints hold). The table of a
// level is a pair of buffers of the original, `topk_cloest_indice_<k>` (flat key indices per window) and
// `topk_cloest_coords_<k>` (query-to-key offsets per query token, the input of the coordinate-to-bias MLP).
#include <torch/types.h>

#include <cstdint>

namespace focal::v2 {

struct TopkLevelTable {
  torch::Tensor indices;  // (nWh*nWw, K) int64 flat indices into the level's key map
  torch::Tensor coords;   // (nWh*nWw, ws*ws, K, 2) float32 offsets (query token - key), in fine-map units
  int64_t k = 0;          // K after clamping to the number of keys
};

// (ws, ws, 2) int64 token offsets from the window centre: (a - ws/2, b - ws/2). The buffer `window_coords`.
torch::Tensor window_coords(int64_t window_size);

// Level `level` of a block whose map is height x width with (effective) window `window_size`: level 0
// picks among the height*width tokens, level k > 0 among the (height/ws) x (width/ws) pooled windows, whose
// offsets are scaled by the window size.
TopkLevelTable topk_level_table(int64_t level, int64_t height, int64_t width, int64_t window_size,
                                int64_t topk);

// Number of keys a level keeps, min(topk, keys of the level), without building the table.
int64_t topk_level_keys(int64_t level, int64_t height, int64_t width, int64_t window_size, int64_t topk);

}  // namespace focal::v2
