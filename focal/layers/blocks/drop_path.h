#pragma once
// Stochastic depth: drops a residual branch for whole samples, scaling the kept ones by 1 / keep.
#include <torch/types.h>

#include <vector>

namespace focal {

torch::Tensor drop_path(const torch::Tensor& x, double drop_prob, bool training);

// Per-stage drop-path rates of a hierarchical model: linear over all blocks, as the originals'
// torch.linspace(0, rate, sum(depths)) read back with .item() (so rounded to float32).
std::vector<std::vector<double>> drop_path_schedule(const std::vector<int64_t>& depths, double rate);

}  // namespace focal
