#pragma once
// The interface every image classifier of the project implements (Focal Transformer, HaloNet), so that the
// model zoo, the training driver and the tools handle any family the same way.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace focal {

class ClassifierImpl : public torch::nn::Module {
 public:
  using torch::nn::Module::Module;
  // (B, C, H, W) images -> (B, num_classes) logits.
  virtual torch::Tensor forward(torch::Tensor images) = 0;
  // (B, C, H, W) images -> (B, num_features) pooled features, before the head.
  virtual torch::Tensor forward_features(torch::Tensor images) = 0;
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
