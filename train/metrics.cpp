#include "train/metrics.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>

namespace focal::train {

std::vector<double> topk_accuracy(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const std::vector<int64_t>& topk) {
  if (logits.dim() != 2 || labels.dim() != 1 || logits.size(0) != labels.size(0)) {
    throw std::invalid_argument("topk_accuracy: expected logits (B, K) and labels (B,), got " +
                                c10::str(logits.sizes()) + " and " + c10::str(labels.sizes()));
  }
  std::vector<double> out;
  const int64_t batch = logits.size(0);
  if (batch == 0) return std::vector<double>(topk.size(), 0.0);
  const int64_t max_k = std::min(*std::max_element(topk.begin(), topk.end()), logits.size(1));
  auto pred = std::get<1>(logits.topk(max_k, /*dim=*/1, /*largest=*/true, /*sorted=*/true));  // (B, max_k)
  auto correct = pred.eq(labels.view({-1, 1}).to(pred.device()));                             // (B, max_k)
  for (int64_t k : topk) {
    int64_t kk = std::min(k, max_k);
    double hits = correct.narrow(1, 0, kk).any(1).sum().item<double>();  // () count of hits
    out.push_back(100.0 * hits / static_cast<double>(batch));
  }
  return out;
}

}  // namespace focal::train
