#pragma once
// Index tables of focal self-attention for one feature-map geometry.
//
// The original gathers the keys of each window with four full-map rolls (fine-grained surroundings) and one
// unfold per pooled level, then concatenates and indexes them. All of that is a fixed mapping from
// (window, key slot) to a token of one of the maps, so it is computed once per map size here and applied
// with a single index_select over a table [fine tokens | pooled tokens of each level | one zero token].
// Likewise every relative-position bias of a (query, key slot) pair is one entry of the concatenation of
// the bias tables, and the masks (-100 on zero-padded pooled keys, the shifted-window mask) are constants.
#include "focal/layers/attention/relative_position.h"
#include "focal/layers/attention/window.h"

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace focal {

struct FocalAttentionGeometryOptions {
  int64_t window_size = 7;   // query window (after the original's reduction for small maps)
  int64_t expand_size = 0;   // fine-grained surroundings; 0 disables
  int64_t focal_window = 1;  // neighbourhood of pooled windows at level 0
  int64_t focal_level = 1;   // 1 = fine level only
  bool pooled = false;       // pooling method is not "none"
  int64_t shift_size = 0;    // cyclic window shift of the block
};

// Key-slot layout, identical to the original's concatenation order: window tokens, then the kept rolled
// tokens (tl, tr, bl, br), then each pooled level's kept unfold positions.
struct FocalKeyLayout {
  int64_t window_keys = 0;
  int64_t rolled_keys = 0;
  std::vector<int64_t> pooled_keys;  // per pooled level
  int64_t total() const;
};

// Tables that do not depend on the map size (they are the original's registered buffers; the relative
// position indices are in focal/layers/attention/relative_position.h).
torch::Tensor valid_ind_rolled(int64_t window_size, int64_t expand_size);  // (n_rolled,) int64
torch::Tensor valid_ind_unfold(int64_t focal_window, int64_t level);       // for level >= 1
int64_t unfold_kernel_size(int64_t focal_window, int64_t level);
// Side of the relative-position table of pooled level k: window + focal_window + 2^k - 2.
int64_t to_windows_table_side(int64_t window_size, int64_t focal_window, int64_t level);
// Number of rolled keys as the original sizes its bias table: 4*ws^2 - 4*(ws - expand)^2.
int64_t rolled_key_count(int64_t window_size, int64_t expand_size);
FocalKeyLayout focal_key_layout(const FocalAttentionGeometryOptions& o);

struct FocalAttentionGeometry {
  int64_t hp = 0, wp = 0;  // padded map size (multiples of the window)
  int64_t windows_h = 0, windows_w = 0;
  std::vector<int64_t> pooled_h, pooled_w;  // pooled map sizes per level
  int64_t num_tokens = 0;                   // rows of the key/value table, the trailing zero row included
  torch::Tensor key_index;                  // (nW * S) int64 rows of the key/value table
  torch::Tensor bias_index;                 // (L * S) int64 columns of the concatenated bias tables
  torch::Tensor mask;                       // (nW, L, S) float additive mask, or undefined when all zero
  int64_t num_windows() const { return windows_h * windows_w; }
};

// Geometry for a padded map of hp x wp tokens. `bias_offsets` are the column offsets of each bias table in
// the concatenation [window table | neighbour table | to_windows tables...] (see FocalAttentionImpl).
FocalAttentionGeometry build_focal_geometry(const FocalAttentionGeometryOptions& o, int64_t hp, int64_t wp);

}  // namespace focal
