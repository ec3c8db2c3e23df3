#pragma once
// Swin's downsampling between stages: each 2x2 group of tokens concatenated (x[0::2,0::2], x[1::2,0::2],
// x[0::2,1::2], x[1::2,1::2]), LayerNorm(4C), Linear(4C -> 2C, no bias). Names: norm, reduction.
#include "focal/layers/blocks/patch_embed.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace focal::swin {

class PatchMergingImpl : public torch::nn::Module {
 public:
  explicit PatchMergingImpl(int64_t dim);
  void reset();
  // (B, H*W, C) tokens of an H x W map -> (B, ceil(H/2)*ceil(W/2), 2C); odd sides are zero-padded (timm).
  TokenMap forward(const TokenMap& x);

  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear reduction{nullptr};

 private:
  int64_t dim_;
};
TORCH_MODULE(PatchMerging);

}  // namespace focal::swin
