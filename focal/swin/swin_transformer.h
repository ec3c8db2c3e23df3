#pragma once
// Swin Transformer (Liu et al., ICCV 2021), parameter-for-parameter the Swin code base's `SwinTransformer`
// (patch_embed, absolute_pos_embed, layers.i.blocks.j, layers.i.downsample at the end of stage i, norm,
// head; the shared HierarchicalTransformerImpl): its released checkpoints load directly, and timm's layout
// (downsampling at the start of the next stage, head.fc) through adapt_checkpoint. The stage maps of
// forward_all are timm's stage outputs.
#include "focal/layers/backbone/hierarchical_transformer.h"
#include "focal/swin/swin_options.h"

#include <torch/nn/pimpl.h>

#include <string>
#include <utility>
#include <vector>

namespace focal::swin {

class SwinTransformerImpl : public HierarchicalTransformerImpl<SwinTransformerOptions> {
 public:
  explicit SwinTransformerImpl(SwinTransformerOptions options);
  void reset();

  // timm's layout (layers.{i+1}.downsample.*, head.fc.*, no index/mask buffers) -> the release layout.
  std::vector<std::pair<std::string, torch::Tensor>> adapt_checkpoint(
      std::vector<std::pair<std::string, torch::Tensor>> entries) const override;
  std::vector<std::string> no_weight_decay_keywords() const override {
    return {"relative_position_bias_table"};
  }
};
TORCH_MODULE(SwinTransformer);

}  // namespace focal::swin
