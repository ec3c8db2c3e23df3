#pragma once
// ResNet stem of HaloNet: 7x7 stride-2 conv + BN + act (`conv1`), then 3x3 stride-2 max pooling.
#include "focal/halonet/activation.h"
#include "focal/halonet/conv_norm_act.h"

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace focal::halonet {

class StemImpl : public torch::nn::Cloneable<StemImpl> {
 public:
  StemImpl(int64_t in_channels, int64_t out_channels, Activation act);
  void reset() override;
  // (B, in, H, W) -> (B, out, ceil(ceil(H / 2) / 2), ...)
  torch::Tensor forward(torch::Tensor x);

  ConvNormAct conv1{nullptr};

 private:
  int64_t in_channels_, out_channels_;
  Activation act_;
};
TORCH_MODULE(Stem);

}  // namespace focal::halonet
