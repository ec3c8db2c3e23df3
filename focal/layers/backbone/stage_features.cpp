#include "focal/layers/backbone/stage_features.h"

#include <torch/torch.h>

namespace focal {

void embed_positions(TokenMap& x, const torch::Tensor& absolute_pos_embed, double drop_rate, bool training) {
  if (absolute_pos_embed.defined()) {
    TORCH_CHECK(absolute_pos_embed.size(1) == x.tokens.size(1), "absolute position embedding has ",
                absolute_pos_embed.size(1), " positions, the input gives ", x.tokens.size(1));
    x.tokens = x.tokens + absolute_pos_embed;  // (B, L0, C0)
  }
  x.tokens = torch::dropout(x.tokens, drop_rate, training);  // (B, L0, C0)
}

void record_stage(ClassifierFeatures& features, const TokenMap& blocks, const TokenMap& downsampled) {
  const auto& t = blocks.tokens;                  // (B, H_i*W_i, C_i)
  features.stages.push_back(downsampled.tokens);  // (B, L_i, C_i)
  features.stage_maps.push_back(
      t.transpose(1, 2).reshape({t.size(0), t.size(2), blocks.height, blocks.width}));  // (B, C_i, H_i, W_i)
}

}  // namespace focal
