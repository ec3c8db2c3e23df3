#include "focal/layers/blocks/drop_path.h"

#include <torch/torch.h>

namespace focal {

torch::Tensor drop_path(const torch::Tensor& x, double drop_prob, bool training) {
  if (drop_prob <= 0.0 || !training) return x;
  const double keep = 1.0 - drop_prob;
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  auto keep_mask = (torch::rand(shape, x.options()) + keep).floor_();  // (B, 1, ..., 1) of 0/1
  // One pass over x: the 1/keep scaling goes into the per-sample mask.
  return x * keep_mask.div_(keep);
}

std::vector<std::vector<double>> drop_path_schedule(const std::vector<int64_t>& depths, double rate) {
  int64_t blocks = 0;
  for (const int64_t d : depths) blocks += d;
  const auto rates = torch::linspace(0.0, rate, blocks, torch::kFloat64);
  std::vector<std::vector<double>> schedule;
  int64_t first = 0;
  for (const int64_t d : depths) {
    std::vector<double> stage(d);
    for (int64_t j = 0; j < d; ++j) stage[j] = static_cast<double>(rates[first + j].item<float>());
    first += d;
    schedule.push_back(std::move(stage));
  }
  return schedule;
}

}  // namespace focal
