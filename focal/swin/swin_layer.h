#pragma once
// One stage of Swin (the Swin code base's BasicLayer): its blocks, regular and shifted in turn, then the
// patch merging that halves the map (absent after the last stage; timm puts it at the start of the next).
#include "focal/layers/blocks/window_stage.h"
#include "focal/swin/patch_merging.h"

#include <torch/nn/pimpl.h>

namespace focal::swin {

// The shared stage options (WindowStageOptions); use_shift is on unless the ablation turns it off.
struct SwinLayerOptions : WindowStageOptions<SwinLayerOptions> {
  SwinLayerOptions(int64_t dim, int64_t depth, int64_t num_heads, int64_t resolution_h, int64_t resolution_w)
      : WindowStageOptions(dim, depth, num_heads, resolution_h, resolution_w) {
    use_shift(true);
  }
};

class SwinLayerImpl : public WindowStageImpl {
 public:
  explicit SwinLayerImpl(SwinLayerOptions options);
  void reset();
  StageOutput forward(const TokenMap& x) override;
  void set_grad_checkpointing(bool enable) override { options_.use_checkpoint(enable); }

  PatchMerging downsample{nullptr};

 private:
  SwinLayerOptions options_;
};
TORCH_MODULE(SwinLayer);

}  // namespace focal::swin
