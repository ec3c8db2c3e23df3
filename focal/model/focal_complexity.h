#pragma once
// Analytic size and cost of a Focal Transformer, reproducing the original implementation's count exactly:
// `params` is the number of trainable parameters, `macs` the original `flops()` (multiply-accumulates, with
// its own conventions: patch size for the convolutional stem, the pooled-level qkv, fractional window
// counts).
#include "focal/model/focal_transformer_options.h"

#include <cstdint>

namespace focal {

struct ModelComplexity {
  int64_t params = 0;
  int64_t macs = 0;
};

int64_t focal_parameter_count(const FocalTransformerOptions& options);
// The original's flops() in double precision, in its order of accumulation.
double focal_macs_exact(const FocalTransformerOptions& options);
ModelComplexity focal_complexity(const FocalTransformerOptions& options);

}  // namespace focal
