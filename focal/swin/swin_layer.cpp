#include "focal/swin/swin_layer.h"

#include "focal/swin/swin_block.h"

#include <torch/torch.h>

namespace focal::swin {

SwinLayerImpl::SwinLayerImpl(SwinLayerOptions options) : options_(std::move(options)) { reset(); }

void SwinLayerImpl::reset() {
  build_blocks<SwinBlockOptions>(options_, [](int64_t, SwinBlockOptions block) { return SwinBlock(block); });
  if (options_.downsample()) downsample = register_module("downsample", PatchMerging(options_.dim()));
}

StageOutput SwinLayerImpl::forward(const TokenMap& x) {
  auto blocks = run_blocks(x, options_.use_checkpoint());              // (B, H*W, C)
  return {blocks, downsample ? downsample->forward(blocks) : blocks};  // (B, H*W/4, 2C) after merging
}

}  // namespace focal::swin
