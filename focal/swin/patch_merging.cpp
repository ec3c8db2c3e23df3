#include "focal/swin/patch_merging.h"

#include <torch/torch.h>

namespace focal::swin {

PatchMergingImpl::PatchMergingImpl(int64_t dim) : dim_(dim) { reset(); }

void PatchMergingImpl::reset() {
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4 * dim_})));
  reduction = register_module("reduction",
                              torch::nn::Linear(torch::nn::LinearOptions(4 * dim_, 2 * dim_).bias(false)));
}

TokenMap PatchMergingImpl::forward(const TokenMap& x) {
  const int64_t batch = x.tokens.size(0), c = x.tokens.size(2);
  auto map = x.tokens.view({batch, x.height, x.width, c});                        // (B, H, W, C)
  map = torch::constant_pad_nd(map, {0, 0, 0, x.width % 2, 0, x.height % 2}, 0);  // (B, H', W', C) even
  const int64_t h2 = map.size(1) / 2, w2 = map.size(2) / 2;
  // (row offset, column offset) order (0,0), (1,0), (0,1), (1,1): columns outer, rows inner.
  auto merged = map.view({batch, h2, 2, w2, 2, c})      // (B, H/2, 2, W/2, 2, C)
                    .permute({0, 1, 3, 4, 2, 5})        // (B, H/2, W/2, 2(col), 2(row), C)
                    .reshape({batch, h2 * w2, 4 * c});  // (B, H/2*W/2, 4C)
  TokenMap out;
  out.height = h2;
  out.width = w2;
  out.tokens = reduction->forward(norm->forward(merged));  // (B, H/2*W/2, 2C)
  return out;
}

}  // namespace focal::swin
