#pragma once
// Dropout + linear classifier on pooled features, named `fc` inside a `head` module as in timm.
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace focal::halonet {

class ClassifierHeadImpl : public torch::nn::Cloneable<ClassifierHeadImpl> {
 public:
  ClassifierHeadImpl(int64_t in_features, int64_t num_classes, double drop_rate);
  void reset() override;
  // Replaces `fc` by a fresh one (weights normal std 0.01, bias 0); 0 classes = no fc, features pass through.
  void reset_fc(int64_t num_classes);
  // (B, in_features) -> (B, num_classes), or (B, in_features) without fc.
  torch::Tensor forward(torch::Tensor features);
  int64_t num_classes() const { return num_classes_; }

  torch::nn::Linear fc{nullptr};

 private:
  int64_t in_features_;
  int64_t num_classes_;
  double drop_rate_;
};
TORCH_MODULE(ClassifierHead);

}  // namespace focal::halonet
