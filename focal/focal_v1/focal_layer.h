#pragma once
// One stage of the Focal Transformer (the original BasicLayer): its blocks, then the downsampling patch
// embedding that halves the map and doubles the channels (absent after the last stage).
#include "focal/focal_v1/focal_block.h"
#include "focal/layers/blocks/patch_embed.h"
#include "focal/layers/blocks/window_stage.h"

#include <torch/nn/pimpl.h>

#include <string>

namespace focal {

// The shared stage options (WindowStageOptions) and the Focal ones.
struct FocalLayerOptions : WindowStageOptions<FocalLayerOptions> {
  using WindowStageOptions::WindowStageOptions;
  TORCH_ARG(int64_t, expand_size) = 0;
  TORCH_ARG(std::string, expand_layer) = "all";
  TORCH_ARG(std::string, pool_method) = "none";
  TORCH_ARG(int64_t, focal_level) = 1;
  TORCH_ARG(int64_t, focal_window) = 1;
  TORCH_ARG(bool, use_conv_embed) = false;
  TORCH_ARG(bool, use_pre_norm) = false;
  TORCH_ARG(bool, use_layerscale) = false;
  TORCH_ARG(double, layerscale_value) = 1e-4;
  TORCH_ARG(int64_t, topk) = 0;  // > 0: Focal-v2 blocks (top-K attention)
};

class FocalLayerImpl : public WindowStageImpl {
 public:
  explicit FocalLayerImpl(FocalLayerOptions options);
  void reset();
  StageOutput forward(const TokenMap& x) override;
  void set_grad_checkpointing(bool enable) override { options_.use_checkpoint(enable); }
  const FocalLayerOptions& options() const { return options_; }

  PatchEmbed downsample{nullptr};

 private:
  FocalLayerOptions options_;
};
TORCH_MODULE(FocalLayer);

}  // namespace focal
