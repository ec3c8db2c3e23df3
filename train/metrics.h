#pragma once
// Running averages and top-k accuracy, as timm.utils.AverageMeter and timm.utils.accuracy.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace focal::train {

struct AverageMeter {
  double val = 0.0;
  double sum = 0.0;
  double count = 0.0;
  void update(double value, double n = 1.0) {
    val = value;
    sum += value * n;
    count += n;
  }
  double avg() const { return count > 0 ? sum / count : 0.0; }
  void reset() { *this = AverageMeter{}; }
};

// Percentage of samples whose label is among the k highest logits, for each k of `topk` (k is capped at the
// number of classes). logits (B, K), labels (B,) int64.
std::vector<double> topk_accuracy(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const std::vector<int64_t>& topk);

}  // namespace focal::train
