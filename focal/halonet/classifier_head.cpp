#include "focal/halonet/classifier_head.h"

#include <torch/torch.h>

namespace focal::halonet {

ClassifierHeadImpl::ClassifierHeadImpl(int64_t in_features, int64_t num_classes, double drop_rate)
    : in_features_(in_features), num_classes_(num_classes), drop_rate_(drop_rate) {
  reset();
}

void ClassifierHeadImpl::reset() { reset_fc(num_classes_); }

void ClassifierHeadImpl::reset_fc(int64_t num_classes) {
  TORCH_CHECK(num_classes >= 0, "ClassifierHead: num_classes must be >= 0, got ", num_classes);
  if (!fc.is_empty()) unregister_module("fc");
  fc = nullptr;
  num_classes_ = num_classes;
  if (num_classes == 0) return;
  fc = register_module("fc", torch::nn::Linear(in_features_, num_classes));
  torch::NoGradGuard no_grad;
  fc->weight.normal_(0.0, 0.01);
  fc->bias.zero_();
}

torch::Tensor ClassifierHeadImpl::forward(torch::Tensor features) {
  features = torch::dropout(features, drop_rate_, is_training());  // (B, in_features)
  return fc.is_empty() ? features : fc(features);                  // (B, num_classes)
}

}  // namespace focal::halonet
