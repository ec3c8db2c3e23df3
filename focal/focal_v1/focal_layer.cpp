#include "focal/focal_v1/focal_layer.h"

#include "focal/runtime/activation_checkpoint.h"

#include <torch/torch.h>

namespace focal {

FocalLayerImpl::FocalLayerImpl(FocalLayerOptions options) : options_(std::move(options)) { reset(); }

void FocalLayerImpl::reset() {
  const auto& o = options_;
  TORCH_CHECK(o.expand_layer() == "all" || o.expand_layer() == "even" || o.expand_layer() == "odd",
              "expand_layer must be all, even or odd, not '", o.expand_layer(), "'");
  TORCH_CHECK(o.drop_path().empty() || static_cast<int64_t>(o.drop_path().size()) == o.depth(),
              "one drop-path rate per block expected");
  // "even" leaves blocks 0, 2, ... unexpanded, "odd" blocks 1, 3, ... (the original's expand_factor).
  const int64_t unexpanded_parity = o.expand_layer() == "even" ? 0 : (o.expand_layer() == "odd" ? 1 : -1);
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.depth(); ++i) {
    blocks->push_back(FocalBlock(FocalBlockOptions(o.dim(), o.num_heads(), o.resolution_h(), o.resolution_w())
                                     .window_size(o.window_size())
                                     .expand_size(i % 2 == unexpanded_parity ? 0 : o.expand_size())
                                     .shift_size(o.use_shift() && i % 2 == 1 ? o.window_size() / 2 : 0)
                                     .mlp_ratio(o.mlp_ratio())
                                     .qkv_bias(o.qkv_bias())
                                     .qk_scale(o.qk_scale())
                                     .drop(o.drop())
                                     .attn_drop(o.attn_drop())
                                     .drop_path(o.drop_path().empty() ? 0.0 : o.drop_path()[i])
                                     .pool_method(o.pool_method())
                                     .focal_level(o.focal_level())
                                     .focal_window(o.focal_window())
                                     .use_layerscale(o.use_layerscale())
                                     .layerscale_value(o.layerscale_value())
                                     .topk(o.topk())));
  }
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
  out.blocks = x;
  for (const auto& module : *blocks) {
    auto* block = module->as<FocalBlockImpl>();
    const int64_t h = x.height, w = x.width;
    if (options_.use_checkpoint() && is_training()) {
      out.blocks.tokens =
          checkpointed([block, h, w](const torch::Tensor& t) { return block->forward(t, h, w); },
                       out.blocks.tokens);  // (B, H*W, C)
    } else {
      out.blocks.tokens = block->forward(out.blocks.tokens, h, w);  // (B, H*W, C)
    }
  }
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
