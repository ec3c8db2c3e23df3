#include "focal/halonet/conv_norm_act.h"

#include <torch/torch.h>

namespace focal::halonet {

ConvNormActImpl::ConvNormActImpl(ConvNormActOptions options_) : options(std::move(options_)) { reset(); }

void ConvNormActImpl::reset() {
  // timm's symmetric padding: "same" output size for odd kernels, ceil(H / stride) when strided.
  const int64_t padding = ((options.stride() - 1) + (options.kernel_size() - 1)) / 2;
  conv = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels(), options.out_channels(),
                                                         options.kernel_size())
                                    .stride(options.stride())
                                    .padding(padding)
                                    .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(options.out_channels()));
}

torch::Tensor ConvNormActImpl::forward(torch::Tensor x) {
  x = bn(conv(x));                                                      // (B, out, H', W')
  return options.apply_act() ? apply_activation(x, options.act()) : x;  // (B, out, H', W')
}

}  // namespace focal::halonet
