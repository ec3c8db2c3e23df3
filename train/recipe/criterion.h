#pragma once
// The training loss chosen as in the original main.py: soft-target cross-entropy when Mixup/CutMix produce
// soft targets, label-smoothing cross-entropy (timm) when MODEL.LABEL_SMOOTHING > 0, plain cross-entropy
// otherwise.
#include <torch/types.h>

#include <string>

namespace focal::train {

enum class LossKind { kSoftTarget, kLabelSmoothing, kCrossEntropy };

struct Criterion {
  LossKind kind = LossKind::kCrossEntropy;
  double smoothing = 0.0;

  // logits (B, K); targets (B,) int64 labels, or (B, K) probabilities for kSoftTarget. Returns the batch
  // mean.
  torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& targets) const;
  std::string describe() const;
};

Criterion select_criterion(bool mixup_active, double label_smoothing);

}  // namespace focal::train
