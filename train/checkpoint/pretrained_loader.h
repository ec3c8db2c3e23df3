#pragma once
// Fine-tuning from released weights (--pretrained / TRAIN.PRETRAINED): the checkpoint's tensors are copied
// into a model that may differ in class count, window size or image size.
//  - the checkpoint is first put into the model's own names (ClassifierImpl::adapt_checkpoint: timm's Swin);
//  - geometry buffers (relative_position_index*, valid_ind_*, attn_mask, relative_coords_table, Focal-v2's
//    topk_cloest_* and window_coords) are never copied: the model builds its own for its geometry;
//  - a head with another class count is re-initialised (reset_classifier);
//  - relative position bias tables are resized by bicubic interpolation: `relative_position_bias_table`
//    (L, nH) as (nH, 2w-1, 2w-1) grids, `relative_position_bias_table_to_windows.*` (nH, s*s) as (nH, s, s);
//  - `relative_position_bias_table_to_neighbors` tables of another shape are re-initialised (trunc normal,
//    std .02), as their entries index key positions that no longer exist;
//  - window pooling weights `pool_layers.*.weight` (1, w*w) are resized as (w, w) grids, rescaled to keep
//    their sum (they start as a mean: 1 / (w*w) each);
//  - `absolute_pos_embed` (1, L, C) is resized as a (C, s, s) grid;
//  - any other shape difference is an error naming the tensor.
#include "focal/layers/backbone/classifier.h"

#include <string>
#include <vector>

namespace focal::train {

struct PretrainedReport {
  std::vector<std::string> loaded;         // copied as they are
  std::vector<std::string> resized;        // "name: [a, b] -> [c, d]"
  std::vector<std::string> reinitialized;  // freshly initialised instead of loaded
  std::vector<std::string> skipped;        // geometry buffers and checkpoint entries the model lacks
  std::vector<std::string> missing;        // model tensors the checkpoint lacks (kept as initialised)
  std::string summary() const;
};

PretrainedReport load_pretrained(ClassifierImpl& model, const std::string& path);

}  // namespace focal::train
