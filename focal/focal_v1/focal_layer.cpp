#include "focal/focal_v1/focal_layer.h"

#include <torch/torch.h>

namespace focal {

FocalLayerImpl::FocalLayerImpl(FocalLayerOptions options) : options_(std::move(options)) { reset(); }

void FocalLayerImpl::reset() {
  const auto& o = options_;
  TORCH_CHECK(o.expand_layer() == "all" || o.expand_layer() == "even" || o.expand_layer() == "odd",
              "expand_layer must be all, even or odd, not '", o.expand_layer(), "'");
  // "even" leaves blocks 0, 2, ... unexpanded, "odd" blocks 1, 3, ... (the original's expand_factor).
  const int64_t unexpanded_parity = o.expand_layer() == "even" ? 0 : (o.expand_layer() == "odd" ? 1 : -1);
  build_blocks<FocalBlockOptions>(o, [&o, unexpanded_parity](int64_t i, FocalBlockOptions block) {
    return FocalBlock(block.expand_size(i % 2 == unexpanded_parity ? 0 : o.expand_size())
                          .pool_method(o.pool_method())
                          .focal_level(o.focal_level())
                          .focal_window(o.focal_window())
                          .use_layerscale(o.use_layerscale())
                          .layerscale_value(o.layerscale_value())
                          .topk(o.topk()));
  });
  if (o.downsample()) {
    downsample = register_module("downsample", PatchEmbed(PatchEmbedOptions(o.dim(), 2 * o.dim())
                                                              .patch_size(2)
                                                              .use_conv_embed(o.use_conv_embed())
                                                              .is_stem(false)
                                                              .use_norm(true)
                                                              .use_pre_norm(o.use_pre_norm())));
  }
}

StageOutput FocalLayerImpl::forward(const TokenMap& x) {
  StageOutput out;
  out.blocks = run_blocks(x, options_.use_checkpoint());  // (B, H*W, C)
  if (downsample) {
    const auto& t = out.blocks.tokens;
    auto map = t.transpose(1, 2).reshape({t.size(0), t.size(2), x.height, x.width});  // (B, C, H, W)
    out.downsampled = downsample->forward(map);                                       // (B, H'*W', 2C)
  } else {
    out.downsampled = out.blocks;
  }
  return out;
}

}  // namespace focal
