#include "focal/model/drop_path.h"

#include <torch/torch.h>

namespace focal {

torch::Tensor drop_path(const torch::Tensor& x, double drop_prob, bool training) {
  if (drop_prob <= 0.0 || !training) return x;
  const double keep = 1.0 - drop_prob;
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  auto keep_mask = (torch::rand(shape, x.options()) + keep).floor_();  // (B, 1, ..., 1) of 0/1
  return x.div(keep) * keep_mask;
}

}  // namespace focal
