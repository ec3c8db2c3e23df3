#pragma once
// Squeeze-and-excitation (Hu et al.): channel gates from globally pooled features, as timm's SEModule
// (1x1 convolutions with bias `fc1` / `fc2`, ReLU between, sigmoid gate).
#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace focal::halonet {

struct SqueezeExciteOptions {
  explicit SqueezeExciteOptions(int64_t channels) : channels_(channels) {}
  TORCH_ARG(int64_t, channels);
  TORCH_ARG(double, rd_ratio) = 1.0 / 16.0;
  TORCH_ARG(int64_t, rd_divisor) = 8;
};

// Width of the squeeze: make_divisible(channels * rd_ratio, rd_divisor) without timm's 90% bump.
int64_t se_reduced_channels(int64_t channels, double rd_ratio, int64_t rd_divisor = 8);

class SqueezeExciteImpl : public torch::nn::Cloneable<SqueezeExciteImpl> {
 public:
  explicit SqueezeExciteImpl(SqueezeExciteOptions options);
  void reset() override;
  // (B, C, H, W) -> (B, C, H, W)
  torch::Tensor forward(torch::Tensor x);

  SqueezeExciteOptions options;
  torch::nn::Conv2d fc1{nullptr};
  torch::nn::Conv2d fc2{nullptr};
};
TORCH_MODULE(SqueezeExcite);

}  // namespace focal::halonet
