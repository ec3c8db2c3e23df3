#pragma once
// Convolution (no bias) + BatchNorm + optional activation, named `conv` / `bn` as timm's ConvNormAct so
// that timm state dicts load by name.
#include "focal/halonet/activation.h"

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace focal::halonet {

struct ConvNormActOptions {
  ConvNormActOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(bool, apply_act) = true;
  TORCH_ARG(Activation, act) = Activation::kReLU;
};

class ConvNormActImpl : public torch::nn::Cloneable<ConvNormActImpl> {
 public:
  explicit ConvNormActImpl(ConvNormActOptions options);
  void reset() override;
  // (B, in, H, W) -> (B, out, ceil(H / stride), ceil(W / stride))
  torch::Tensor forward(torch::Tensor x);

  ConvNormActOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvNormAct);

}  // namespace focal::halonet
