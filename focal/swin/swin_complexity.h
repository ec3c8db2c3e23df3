#pragma once
// Analytic size and cost of a Swin Transformer as the Swin code base counts them: trainable parameters, and
// its flops() (multiply-accumulates; fractional window counts, the merging layers' own convention).
#include "focal/layers/backbone/model_complexity.h"
#include "focal/swin/swin_options.h"

namespace focal::swin {

int64_t swin_parameter_count(const SwinTransformerOptions& options);
double swin_macs_exact(const SwinTransformerOptions& options);  // in the original's order of accumulation
ModelComplexity swin_complexity(const SwinTransformerOptions& options);

}  // namespace focal::swin
