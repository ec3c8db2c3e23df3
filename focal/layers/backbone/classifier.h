#pragma once
// The interface every image classifier of the project implements (Focal Transformer, HaloNet), so that the
// model zoo, the training driver and the tools handle any family the same way.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace focal {

// What a parity check or a backbone needs from one forward pass.
struct ClassifierFeatures {
  torch::Tensor pooled;                   // (B, num_features), input of the head
  torch::Tensor patch_embed;              // (B, L0, C0) stem output (transformers), undefined otherwise
  std::vector<torch::Tensor> stages;      // per stage, as the family's original returns it (see each model)
  std::vector<torch::Tensor> stage_maps;  // per stage, after its blocks, as maps: (B, C_i, H_i, W_i)
};

class ClassifierImpl : public torch::nn::Module {
 public:
  using torch::nn::Module::Module;
  // (B, C, H, W) images -> (B, num_classes) logits.
  virtual torch::Tensor forward(torch::Tensor images) = 0;
  // (B, C, H, W) images -> (B, num_features) pooled features, before the head.
  virtual torch::Tensor forward_features(torch::Tensor images) = 0;
  // Pooled features and, with `with_stages`, the per-stage tensors (four stage maps for a backbone).
  virtual ClassifierFeatures forward_all(const torch::Tensor& images, bool with_stages) {
    ClassifierFeatures f;
    f.pooled = forward_features(images);
    return f;
  }
  // (B, num_features) -> (B, num_classes); the identity without a head.
  virtual torch::Tensor forward_head(const torch::Tensor& pooled) = 0;
  // Rewrites a checkpoint of another layout of this model into its own names before loading (timm's Swin
  // layout, say); the default keeps the entries as they are.
  virtual std::vector<std::pair<std::string, torch::Tensor>> adapt_checkpoint(
      std::vector<std::pair<std::string, torch::Tensor>> entries) const {
    return entries;
  }
  virtual int64_t num_classes() const = 0;
  virtual int64_t num_features() const = 0;
  // Replaces the head by a freshly initialised one with `num_classes` outputs (fine-tuning).
  virtual void reset_classifier(int64_t num_classes) = 0;
  // Activation checkpointing of the blocks (trades compute for memory in training).
  virtual void set_grad_checkpointing(bool enable) {}
  // Parameters exempt from weight decay beyond the 1-D ones: exact names and name fragments, as the
  // original's no_weight_decay() and no_weight_decay_keywords().
  virtual std::vector<std::string> no_weight_decay() const { return {}; }
  virtual std::vector<std::string> no_weight_decay_keywords() const { return {}; }
};

using Classifier = std::shared_ptr<ClassifierImpl>;

}  // namespace focal
