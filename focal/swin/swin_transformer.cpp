#include "focal/swin/swin_transformer.h"

#include "focal/swin/swin_layer.h"
#include "focal/swin/swin_weights.h"

#include <torch/torch.h>

namespace focal::swin {

SwinTransformerImpl::SwinTransformerImpl(SwinTransformerOptions options)
    : HierarchicalTransformerImpl(std::move(options), "Swin Transformer") {
  reset();
}

void SwinTransformerImpl::reset() {
  // The Swin code base's stem has no overlapping-convolution variant.
  build<SwinLayerOptions>(/*use_conv_embed=*/false, [this](int64_t, SwinLayerOptions stage) {
    return SwinLayer(stage.use_shift(options_.use_shift()));
  });
}

std::vector<std::pair<std::string, torch::Tensor>> SwinTransformerImpl::adapt_checkpoint(
    std::vector<std::pair<std::string, torch::Tensor>> entries) const {
  return release_layout_from_timm(std::move(entries), *this);
}

}  // namespace focal::swin
