#include "focal/halonet/stem.h"

#include <torch/torch.h>

namespace focal::halonet {

StemImpl::StemImpl(int64_t in_channels, int64_t out_channels, Activation act)
    : in_channels_(in_channels), out_channels_(out_channels), act_(act) {
  reset();
}

void StemImpl::reset() {
  conv1 = register_module(
      "conv1", ConvNormAct(ConvNormActOptions(in_channels_, out_channels_, 7).stride(2).act(act_)));
}

torch::Tensor StemImpl::forward(torch::Tensor x) {
  x = conv1(x);  // (B, out, H/2, W/2)
  return torch::max_pool2d(x, /*kernel_size=*/{3, 3}, /*stride=*/{2, 2},
                           /*padding=*/{1, 1});  // (B, out, H/4, W/4)
}

}  // namespace focal::halonet
