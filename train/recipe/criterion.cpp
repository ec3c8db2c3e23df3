#include "train/recipe/criterion.h"

#include <torch/torch.h>

#include <stdexcept>

namespace focal::train {

torch::Tensor Criterion::operator()(const torch::Tensor& logits, const torch::Tensor& targets) const {
  auto logp = torch::log_softmax(logits.to(torch::kFloat), /*dim=*/-1);  // (B, K)
  switch (kind) {
    case LossKind::kSoftTarget: {
      if (targets.dim() != 2) throw std::invalid_argument("soft-target loss needs (B, K) targets");
      return (-targets.to(logp.dtype()) * logp).sum(-1).mean();  // ()
    }
    case LossKind::kLabelSmoothing: {
      auto nll = -logp.gather(-1, targets.view({-1, 1})).squeeze(-1);  // (B,)
      auto uniform = -logp.mean(-1);                                   // (B,)
      return ((1.0 - smoothing) * nll + smoothing * uniform).mean();   // ()
    }
    case LossKind::kCrossEntropy:
      return torch::nll_loss(logp, targets);  // ()
  }
  throw std::logic_error("unknown loss kind");
}

std::string Criterion::describe() const {
  switch (kind) {
    case LossKind::kSoftTarget:
      return "soft-target cross-entropy (mixup/cutmix targets)";
    case LossKind::kLabelSmoothing:
      return "label-smoothing cross-entropy (smoothing " + c10::str(smoothing) + ")";
    case LossKind::kCrossEntropy:
      return "cross-entropy";
  }
  return "?";
}

Criterion select_criterion(bool mixup_active, double label_smoothing) {
  if (mixup_active) return {LossKind::kSoftTarget, 0.0};
  if (label_smoothing > 0.0) return {LossKind::kLabelSmoothing, label_smoothing};
  return {LossKind::kCrossEntropy, 0.0};
}

}  // namespace focal::train
