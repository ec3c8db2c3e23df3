#pragma once
// Analytic size and cost of a Focal Transformer, reproducing the original implementation's count exactly:
// `params` is the number of trainable parameters, `macs` the original `flops()` (multiply-accumulates, with
// its own conventions: patch size for the convolutional stem, the pooled-level qkv, fractional window
// counts).
#include "focal/focal_v1/focal_transformer_options.h"
#include "focal/layers/backbone/model_complexity.h"

#include <cstdint>

namespace focal {

int64_t focal_parameter_count(const FocalTransformerOptions& options);
// The original's flops() in double precision, in its order of accumulation.
double focal_macs_exact(const FocalTransformerOptions& options);
ModelComplexity focal_complexity(const FocalTransformerOptions& options);

}  // namespace focal
