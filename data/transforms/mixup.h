#pragma once
// timm's Mixup / CutMix (timm/data/mixup.py) with label smoothing folded into the soft targets:
// target = lam * one_hot(y) + (1 - lam) * one_hot(y.flip(0)), with off = s / K and on = 1 - s + s / K.
// CutMix pastes a box from the flipped batch and corrects lam to the box's clipped area.
#include <torch/torch.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace focal::data {

struct MixupOptions {
  double mixup_alpha = 0.8, cutmix_alpha = 1.0;
  std::vector<double> cutmix_minmax;  // empty = None
  double prob = 1.0, switch_prob = 0.5;
  std::string mode = "batch";  // "batch" | "pair" | "elem"
  double label_smoothing = 0.1;
  int64_t num_classes = 1000;
};

// (yl, yh, xl, xh) CutMix box for an image of height x width at mixing ratio lam (timm's rand_bbox),
// or from the min/max ratios when minmax is given (rand_bbox_minmax).
std::array<int64_t, 4> cutmix_box(int64_t height, int64_t width, double lam,
                                  const std::vector<double>& minmax, torch::Generator& gen);
// 1 - box area / image area.
double cutmix_corrected_lam(const std::array<int64_t, 4>& box, int64_t height, int64_t width);

class Mixup {
 public:
  explicit Mixup(MixupOptions o);
  // images (B,C,H,W) mixed in place or returned; returns soft targets (B, num_classes). Batch size must be
  // even.
  std::pair<torch::Tensor, torch::Tensor> operator()(torch::Tensor images, torch::Tensor labels,
                                                     torch::Generator& gen) const;
  const MixupOptions& options() const { return o_; }

 private:
  // (lam, use_cutmix) for one batch or element.
  std::pair<double, bool> sample_params(torch::Generator& gen) const;
  MixupOptions o_;
};

// one_hot(labels, num_classes) with off = smoothing / num_classes and on = 1 - smoothing + off (float32).
torch::Tensor smooth_one_hot(torch::Tensor labels, int64_t num_classes, double smoothing);

}  // namespace focal::data
