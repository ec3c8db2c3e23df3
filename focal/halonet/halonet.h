#pragma once
// HaloNet classifier: 7x7 stride-2 conv stem + BN + act, 3x3 stride-2 max pool, four stages of halo
// bottleneck blocks, optional 1x1 conv to d_f features (+BN+act), global average pool, linear head.
// Module names equal timm's ByobNet state-dict keys (stem.conv1.*, stages.S.I.*, final_conv.*, head.fc.*),
// so timm's halonet_h1 weights load directly.
#include "focal/halonet/activation.h"
#include "focal/halonet/classifier_head.h"
#include "focal/halonet/conv_norm_act.h"
#include "focal/halonet/halo_block.h"
#include "focal/halonet/halonet_options.h"
#include "focal/halonet/stem.h"
#include "focal/layers/backbone/classifier.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace focal::halonet {

// Channel plan of one block, derived from the options (shared by the network and the MAC count).
struct BlockPlan {
  int64_t in_channels, width, value_width, out_channels, stride;
};
std::vector<std::vector<BlockPlan>> plan_blocks(const HaloNetOptions& options);

class HaloNetImpl : public focal::ClassifierImpl {
 public:
  explicit HaloNetImpl(HaloNetOptions options);
  void reset();

  torch::Tensor forward(torch::Tensor images) override;           // (B, C, H, W) -> (B, num_classes)
  torch::Tensor forward_features(torch::Tensor images) override;  // (B, C, H, W) -> (B, num_features)
  // (B, C, H, W) -> (B, num_features, H', W'): the map before pooling (H' = H / 32 rounded up stagewise).
  torch::Tensor forward_maps(torch::Tensor images);
  // Pooled features and, with `with_stages`, each stage's output map (stages = stage_maps, as timm's).
  focal::ClassifierFeatures forward_all(const torch::Tensor& images, bool with_stages) override;
  torch::Tensor forward_head(const torch::Tensor& pooled) override { return head(pooled); }
  // timm's checkpoints: names are already ours; refuses timm structures H-series HaloNets lack.
  std::vector<std::pair<std::string, torch::Tensor>> adapt_checkpoint(
      std::vector<std::pair<std::string, torch::Tensor>> entries) const override;

  int64_t num_classes() const override { return head->num_classes(); }
  int64_t num_features() const override { return num_features_; }
  void reset_classifier(int64_t num_classes) override;
  // Recomputes each block in the backward pass instead of storing its activations. As with PyTorch's
  // checkpointing, BN running statistics get updated twice per training step for checkpointed blocks.
  void set_grad_checkpointing(bool enable) override { grad_checkpointing_ = enable; }
  // timm's ByobNet exempts nothing beyond 1-D parameters (the 2-D relative position tables are decayed), so
  // neither do we.
  std::vector<std::string> no_weight_decay_keywords() const override { return {}; }
  const HaloNetOptions& options() const { return options_; }

  Stem stem{nullptr};
  torch::nn::ModuleList stages{nullptr};  // of ModuleList of HaloBlock
  ConvNormAct final_conv{nullptr};        // registered only with num_features > 0
  ClassifierHead head{nullptr};

 private:
  void init_weights();
  // The network up to the final conv; appends each stage's output map to `stage_maps` when given.
  torch::Tensor stage_forward(const torch::Tensor& images, std::vector<torch::Tensor>* stage_maps);
  HaloNetOptions options_;
  Activation act_ = Activation::kReLU;
  int64_t num_features_ = 0;
  bool grad_checkpointing_ = false;
};
TORCH_MODULE(HaloNet);

}  // namespace focal::halonet
