#pragma once
// Weight initialisation shared by the model families.
#include <torch/types.h>

namespace focal {

// timm's trunc_normal_: normal(0, std) truncated to [-2, 2] (absolute bounds, as timm's defaults).
torch::Tensor trunc_normal_(torch::Tensor tensor, double std, double lower = -2.0, double upper = 2.0);

}  // namespace focal
