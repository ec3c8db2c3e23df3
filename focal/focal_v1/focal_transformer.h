#pragma once
// The Focal Transformer classifier (Yang et al., NeurIPS 2021), parameter-for-parameter the original
// `FocalTransformer`: patch embedding, optional absolute position embedding, stages of focal blocks with
// downsampling, final LayerNorm, average pooling and a linear head.
#include "focal/focal_v1/focal_layer.h"
#include "focal/focal_v1/focal_transformer_options.h"
#include "focal/layers/classifier.h"
#include "focal/layers/patch_embed.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

namespace focal {

// stages: per stage, after its blocks and downsampling, (B, L, C) as the original's layers return them.
using FocalFeatures = ClassifierFeatures;

class FocalTransformerImpl : public ClassifierImpl {
 public:
  explicit FocalTransformerImpl(FocalTransformerOptions options);
  void reset();

  torch::Tensor forward(torch::Tensor images) override;           // (B, C, H, W) -> (B, num_classes)
  torch::Tensor forward_features(torch::Tensor images) override;  // (B, C, H, W) -> (B, num_features)
  // Everything a backbone or a parity check needs; `with_stages` also returns the per-stage tensors.
  FocalFeatures forward_all(const torch::Tensor& images, bool with_stages) override;
  torch::Tensor forward_head(const torch::Tensor& pooled) override {
    return head ? head->forward(pooled) : pooled;
  }

  int64_t num_classes() const override { return options_.num_classes(); }
  int64_t num_features() const override { return num_features_; }
  void reset_classifier(int64_t num_classes) override;
  void set_grad_checkpointing(bool enable) override;
  std::vector<std::string> no_weight_decay() const override { return {"absolute_pos_embed"}; }
  // The v2 original exempts no keyword (it has no bias tables; its coordinate MLPs are decayed).
  std::vector<std::string> no_weight_decay_keywords() const override {
    if (options_.is_v2()) return {};
    return {"relative_position_bias_table", "relative_position_bias_table_to_neighbors",
            "relative_position_bias_table_to_windows"};
  }
  const FocalTransformerOptions& options() const { return options_; }

  PatchEmbed patch_embed{nullptr};
  torch::Tensor absolute_pos_embed;
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear head{nullptr};

 private:
  void init_weights();
  FocalTransformerOptions options_;
  int64_t num_features_ = 0;
};
TORCH_MODULE(FocalTransformer);

}  // namespace focal
