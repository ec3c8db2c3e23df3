#pragma once
// Constructor arguments of the Swin Transformer with the names and defaults of the Swin code base
// (models/swin_transformer.py, class SwinTransformer; its YAML keys are MODEL.SWIN.*).
#include "focal/layers/backbone/hierarchical_options.h"

#include <torch/arg.h>

namespace focal::swin {

struct SwinTransformerOptions : HierarchicalOptions<SwinTransformerOptions> {
  // The shared fields (img_size ... use_checkpoint) are HierarchicalOptions'. Ours, for the ablation without
  // shifted windows (the Swin code base always shifts odd blocks).
  TORCH_ARG(bool, use_shift) = true;
};

}  // namespace focal::swin
