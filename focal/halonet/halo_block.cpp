#include "focal/halonet/halo_block.h"

#include "focal/layers/blocks/drop_path.h"

#include <torch/torch.h>

namespace focal::halonet {

HaloBlockImpl::HaloBlockImpl(HaloBlockOptions options_) : options(std::move(options_)) { reset(); }

void HaloBlockImpl::reset() {
  const auto& o = options;
  TORCH_CHECK(o.width() % o.num_heads() == 0 && o.value_width() % o.num_heads() == 0, "HaloBlock: width ",
              o.width(), " and value width ", o.value_width(), " must be multiples of num_heads ",
              o.num_heads());
  if (o.in_channels() != o.out_channels() || o.stride() != 1) {
    shortcut = register_module(
        "shortcut",
        ConvNormAct(
            ConvNormActOptions(o.in_channels(), o.out_channels(), 1).stride(o.stride()).apply_act(false)));
  }
  conv1_1x1 = register_module("conv1_1x1",
                              ConvNormAct(ConvNormActOptions(o.in_channels(), o.width(), 1).act(o.act())));
  self_attn = register_module("self_attn", HaloAttention(HaloAttentionOptions(o.width())
                                                             .dim_out(o.value_width())
                                                             .dim_head(o.width() / o.num_heads())
                                                             .stride(o.stride())
                                                             .num_heads(o.num_heads())
                                                             .block_size(o.block_size())
                                                             .halo_size(o.halo_size())
                                                             .qkv_bias(o.qkv_bias())
                                                             .avg_down(o.avg_down())
                                                             .scale_pos_embed(o.scale_pos_embed())
                                                             .rel_pos_layout(o.rel_pos_layout())));
  post_attn = register_module("post_attn", torch::nn::BatchNorm2d(o.value_width()));
  if (o.use_se()) {
    se = register_module("se", SqueezeExcite(SqueezeExciteOptions(o.value_width()).rd_ratio(o.se_ratio())));
  }
  conv3_1x1 = register_module(
      "conv3_1x1", ConvNormAct(ConvNormActOptions(o.value_width(), o.out_channels(), 1).apply_act(false)));
}

torch::Tensor HaloBlockImpl::forward(torch::Tensor x) {
  auto shortcut_out = has_shortcut_conv() ? shortcut(x) : x;    // (B, out, H', W')
  auto y = conv1_1x1(x);                                        // (B, width, H, W)
  y = self_attn(y);                                             // (B, value, H', W')
  y = apply_activation(post_attn(y), options.act());            // (B, value, H', W')
  if (!se.is_empty()) y = se(y);                                // (B, value, H', W')
  y = conv3_1x1(y);                                             // (B, out, H', W')
  y = focal::drop_path(y, options.drop_path(), is_training());  // (B, out, H', W')
  return apply_activation(y + shortcut_out, options.act());     // (B, out, H', W')
}

}  // namespace focal::halonet
