#pragma once
// Patch embedding (the stem) and the downsampling between stages, which the original also builds from
// PatchEmbed: a strided convolution (non-overlapping, or overlapping 7x7/4 and 3x3/2 with use_conv_embed),
// optional GroupNorm(1) pre-norm of the input and LayerNorm of the tokens.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace focal {

struct PatchEmbedOptions {
  PatchEmbedOptions(int64_t in_chans, int64_t embed_dim) : in_chans_(in_chans), embed_dim_(embed_dim) {}
  TORCH_ARG(int64_t, in_chans);
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, patch_size) = 4;
  TORCH_ARG(bool, use_conv_embed) = false;
  TORCH_ARG(bool, is_stem) = false;
  TORCH_ARG(bool, use_norm) = true;
  TORCH_ARG(bool, use_pre_norm) = false;
};

struct TokenMap {
  torch::Tensor tokens;  // (B, H*W, C)
  int64_t height = 0, width = 0;
};

class PatchEmbedImpl : public torch::nn::Module {
 public:
  explicit PatchEmbedImpl(PatchEmbedOptions options);
  void reset();
  // (B, C_in, H, W) -> tokens (B, H'*W', C) with H', W'.
  TokenMap forward(const torch::Tensor& x);
  // Output side for an input side, as the convolution computes it.
  int64_t output_size(int64_t input) const;

  torch::nn::Conv2d proj{nullptr};
  torch::nn::GroupNorm pre_norm{nullptr};
  torch::nn::LayerNorm norm{nullptr};

 private:
  PatchEmbedOptions options_;
  int64_t kernel_ = 0, stride_ = 0, padding_ = 0;
};
TORCH_MODULE(PatchEmbed);

}  // namespace focal
