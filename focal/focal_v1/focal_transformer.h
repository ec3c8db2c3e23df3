#pragma once
// The Focal Transformer classifier (Yang et al., NeurIPS 2021), parameter-for-parameter the original
// `FocalTransformer`: patch embedding, optional absolute position embedding, stages of focal blocks with
// downsampling, final LayerNorm, average pooling and a linear head (the shared HierarchicalTransformerImpl).
#include "focal/focal_v1/focal_layer.h"
#include "focal/focal_v1/focal_transformer_options.h"
#include "focal/layers/backbone/hierarchical_transformer.h"

#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace focal {

// stages: per stage, after its blocks and downsampling, (B, L, C) as the original's layers return them.
using FocalFeatures = ClassifierFeatures;

class FocalTransformerImpl : public HierarchicalTransformerImpl<FocalTransformerOptions> {
 public:
  explicit FocalTransformerImpl(FocalTransformerOptions options);
  void reset();

  // The v2 original exempts no keyword (it has no bias tables; its coordinate MLPs are decayed).
  std::vector<std::string> no_weight_decay_keywords() const override {
    if (options_.is_v2()) return {};
    return {"relative_position_bias_table", "relative_position_bias_table_to_neighbors",
            "relative_position_bias_table_to_windows"};
  }
};
TORCH_MODULE(FocalTransformer);

}  // namespace focal
