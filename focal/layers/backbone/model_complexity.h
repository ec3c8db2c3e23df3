#pragma once
// Analytic size and cost of a model, as each family's original code counts them.
#include <cstdint>

namespace focal {

struct ModelComplexity {
  int64_t params = 0;  // trainable parameters
  int64_t macs = 0;    // multiply-accumulates of one image at the model's input size
};

}  // namespace focal
