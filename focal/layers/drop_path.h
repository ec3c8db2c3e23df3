#pragma once
// Stochastic depth: drops a residual branch for whole samples, scaling the kept ones by 1 / keep.
#include <torch/types.h>

namespace focal {

torch::Tensor drop_path(const torch::Tensor& x, double drop_prob, bool training);

}  // namespace focal
