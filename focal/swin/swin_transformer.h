#pragma once
// Swin Transformer (Liu et al., ICCV 2021), parameter-for-parameter the Swin code base's `SwinTransformer`
// (patch_embed, absolute_pos_embed, layers.i.blocks.j, layers.i.downsample at the end of stage i, norm,
// head): its released checkpoints load directly, and timm's layout (downsampling at the start of the next
// stage, head.fc) through adapt_checkpoint.
#include "focal/layers/classifier.h"
#include "focal/layers/patch_embed.h"
#include "focal/swin/swin_options.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace focal::swin {

class SwinTransformerImpl : public ClassifierImpl {
 public:
  explicit SwinTransformerImpl(SwinTransformerOptions options);
  void reset();

  torch::Tensor forward(torch::Tensor images) override;           // (B, C, H, W) -> (B, num_classes)
  torch::Tensor forward_features(torch::Tensor images) override;  // (B, C, H, W) -> (B, num_features)
  // stages: per stage after its blocks and merging (B, L, C), as the Swin code base's layers return them;
  // stage_maps: per stage after its blocks (B, C, H, W), which are timm's stage outputs.
  ClassifierFeatures forward_all(const torch::Tensor& images, bool with_stages) override;
  torch::Tensor forward_head(const torch::Tensor& pooled) override {
    return head ? head->forward(pooled) : pooled;
  }
  // timm's layout (layers.{i+1}.downsample.*, head.fc.*, no index/mask buffers) -> the release layout.
  std::vector<std::pair<std::string, torch::Tensor>> adapt_checkpoint(
      std::vector<std::pair<std::string, torch::Tensor>> entries) const override;

  int64_t num_classes() const override { return options_.num_classes(); }
  int64_t num_features() const override { return num_features_; }
  void reset_classifier(int64_t num_classes) override;
  void set_grad_checkpointing(bool enable) override;
  std::vector<std::string> no_weight_decay() const override { return {"absolute_pos_embed"}; }
  std::vector<std::string> no_weight_decay_keywords() const override {
    return {"relative_position_bias_table"};
  }
  const SwinTransformerOptions& options() const { return options_; }

  PatchEmbed patch_embed{nullptr};
  torch::Tensor absolute_pos_embed;
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  void init_weights();
  SwinTransformerOptions options_;
  int64_t num_features_ = 0;
};
TORCH_MODULE(SwinTransformer);

}  // namespace focal::swin
