#include "focal/layers/drop_path.h"

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

}  // namespace focal
