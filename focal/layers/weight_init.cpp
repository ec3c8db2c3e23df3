#include "focal/layers/weight_init.h"

#include <torch/torch.h>

#include <cmath>

namespace focal {

torch::Tensor trunc_normal_(torch::Tensor tensor, double std, double lower, double upper) {
  // Inverse-CDF sampling of the truncated normal, the method timm uses.
  torch::NoGradGuard no_grad;
  auto normal_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double l = normal_cdf(lower / std), u = normal_cdf(upper / std);
  tensor.uniform_(2 * l - 1, 2 * u - 1);
  tensor.erfinv_();
  tensor.mul_(std * std::sqrt(2.0));
  tensor.clamp_(lower, upper);
  return tensor;
}

}  // namespace focal
