#include "focal/halonet/squeeze_excite.h"

#include "focal/halonet/channel_rounding.h"

#include <torch/torch.h>

namespace focal::halonet {

SqueezeExciteImpl::SqueezeExciteImpl(SqueezeExciteOptions options_) : options(std::move(options_)) {
  reset();
}

int64_t se_reduced_channels(int64_t channels, double rd_ratio, int64_t rd_divisor) {
  return make_divisible(static_cast<double>(channels) * rd_ratio, rd_divisor, /*round_limit=*/0.0);
}

void SqueezeExciteImpl::reset() {
  const int64_t rd = se_reduced_channels(options.channels(), options.rd_ratio(), options.rd_divisor());
  fc1 = register_module("fc1", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.channels(), rd, 1)));
  fc2 = register_module("fc2", torch::nn::Conv2d(torch::nn::Conv2dOptions(rd, options.channels(), 1)));
}

torch::Tensor SqueezeExciteImpl::forward(torch::Tensor x) {
  auto s = x.mean({2, 3}, /*keepdim=*/true);  // (B, C, 1, 1)
  s = fc2(torch::relu(fc1(s)));               // (B, C, 1, 1)
  return x * torch::sigmoid(s);               // (B, C, H, W)
}

}  // namespace focal::halonet
