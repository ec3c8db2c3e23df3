#include "focal/layers/blocks/patch_embed.h"

#include <torch/torch.h>

namespace focal {

PatchEmbedImpl::PatchEmbedImpl(PatchEmbedOptions options) : options_(options) { reset(); }

void PatchEmbedImpl::reset() {
  const auto& o = options_;
  if (o.use_conv_embed()) {
    // Overlapping embedding of the original: 7x7 stride 4 for the stem, 3x3 stride 2 between stages.
    kernel_ = o.is_stem() ? 7 : 3;
    stride_ = o.is_stem() ? 4 : 2;
    padding_ = o.is_stem() ? 2 : 1;
  } else {
    kernel_ = stride_ = o.patch_size();
    padding_ = 0;
  }
  proj = register_module(
      "proj",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(o.in_chans(), o.embed_dim(), kernel_).stride(stride_).padding(padding_)));
  if (o.use_pre_norm() && o.use_norm()) {
    pre_norm = register_module("pre_norm", torch::nn::GroupNorm(1, o.in_chans()));
  }
  if (o.use_norm()) {
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.embed_dim()})));
  }
}

int64_t PatchEmbedImpl::output_size(int64_t input) const {
  return (input + 2 * padding_ - kernel_) / stride_ + 1;
}

TokenMap PatchEmbedImpl::forward(const torch::Tensor& x) {
  auto y = pre_norm ? pre_norm->forward(x) : x;  // (B, C_in, H, W)
  y = proj->forward(y);                          // (B, C, H', W')
  TokenMap out;
  out.height = y.size(2);
  out.width = y.size(3);
  out.tokens = y.flatten(2).transpose(1, 2);         // (B, H'*W', C)
  if (norm) out.tokens = norm->forward(out.tokens);  // (B, H'*W', C)
  return out;
}

}  // namespace focal
