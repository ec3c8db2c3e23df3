#include "focal/layers/blocks/window_stage.h"

#include "focal/runtime/activation_checkpoint.h"

#include <torch/torch.h>

namespace focal {

void WindowStageImpl::check_drop_path(int64_t depth, int64_t rates) {
  TORCH_CHECK(rates == 0 || rates == depth, "stage of ", depth,
              " blocks: one drop-path rate per block expected, got ", rates);
}

TokenMap WindowStageImpl::run_blocks(const TokenMap& x, bool checkpoint) {
  TokenMap out = x;
  const int64_t h = x.height, w = x.width;
  for (const auto& module : *blocks) {
    auto* block = module->as<WindowBlockImpl>();
    if (checkpoint && is_training()) {
      out.tokens = checkpointed([block, h, w](const torch::Tensor& t) { return block->forward(t, h, w); },
                                out.tokens);  // (B, H*W, C)
    } else {
      out.tokens = block->forward(out.tokens, h, w);  // (B, H*W, C)
    }
  }
  return out;
}

}  // namespace focal
