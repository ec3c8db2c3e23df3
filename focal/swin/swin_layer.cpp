#include "focal/swin/swin_layer.h"

#include "focal/runtime/activation_checkpoint.h"
#include "focal/swin/swin_block.h"

#include <torch/torch.h>

namespace focal::swin {

SwinLayerImpl::SwinLayerImpl(SwinLayerOptions options) : options_(std::move(options)) { reset(); }

void SwinLayerImpl::reset() {
  const auto& o = options_;
  TORCH_CHECK(o.drop_path().empty() || static_cast<int64_t>(o.drop_path().size()) == o.depth(),
              "Swin stage: one drop-path rate per block expected");
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.depth(); ++i) {
    blocks->push_back(SwinBlock(SwinBlockOptions(o.dim(), o.num_heads(), o.resolution(), o.resolution())
                                    .window_size(o.window_size())
                                    .shift_size(o.use_shift() && i % 2 == 1 ? o.window_size() / 2 : 0)
                                    .mlp_ratio(o.mlp_ratio())
                                    .qkv_bias(o.qkv_bias())
                                    .qk_scale(o.qk_scale())
                                    .drop(o.drop())
                                    .attn_drop(o.attn_drop())
                                    .drop_path(o.drop_path().empty() ? 0.0 : o.drop_path()[i])));
  }
  if (o.downsample()) downsample = register_module("downsample", PatchMerging(o.dim()));
}

std::pair<TokenMap, TokenMap> SwinLayerImpl::forward(const TokenMap& x) {
  TokenMap out = x;
  const int64_t h = x.height, w = x.width;
  for (const auto& module : *blocks) {
    auto* block = module->as<SwinBlockImpl>();
    if (options_.use_checkpoint() && is_training()) {
      out.tokens = checkpointed([block, h, w](const torch::Tensor& t) { return block->forward(t, h, w); },
                                out.tokens);  // (B, H*W, C)
    } else {
      out.tokens = block->forward(out.tokens, h, w);  // (B, H*W, C)
    }
  }
  return {out, downsample ? downsample->forward(out) : out};
}

}  // namespace focal::swin
