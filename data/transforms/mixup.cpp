#include "data/transforms/mixup.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace focal::data {
namespace {

double uniform01(torch::Generator& gen) {
  return torch::rand({1}, gen, torch::TensorOptions().dtype(torch::kFloat64)).item<double>();
}

// Beta(a, a) as X / (X + Y) with X, Y ~ Gamma(a).
double sample_beta(double alpha, torch::Generator& gen) {
  const auto a = torch::full({2}, alpha, torch::TensorOptions().dtype(torch::kFloat64));
  const auto g = at::_standard_gamma(a, gen);
  const double x = g[0].item<double>(), y = g[1].item<double>();
  return x + y > 0 ? x / (x + y) : 0.5;
}

int64_t randint(int64_t low, int64_t high, torch::Generator& gen) {  // [low, high)
  if (high <= low) throw std::invalid_argument("cutmix: empty range for the box position");
  return torch::randint(low, high, {1}, gen, torch::TensorOptions().dtype(torch::kInt64)).item<int64_t>();
}

}  // namespace

std::array<int64_t, 4> cutmix_box(int64_t height, int64_t width, double lam,
                                  const std::vector<double>& minmax, torch::Generator& gen) {
  if (!minmax.empty()) {
    if (minmax.size() != 2) throw std::invalid_argument("cutmix_minmax needs two values");
    const int64_t cut_h =
        randint(static_cast<int64_t>(height * minmax[0]), static_cast<int64_t>(height * minmax[1]), gen);
    const int64_t cut_w =
        randint(static_cast<int64_t>(width * minmax[0]), static_cast<int64_t>(width * minmax[1]), gen);
    const int64_t yl = randint(0, height - cut_h + 1, gen);
    const int64_t xl = randint(0, width - cut_w + 1, gen);
    return {yl, yl + cut_h, xl, xl + cut_w};
  }
  const double ratio = std::sqrt(1.0 - lam);
  const auto cut_h = static_cast<int64_t>(height * ratio);
  const auto cut_w = static_cast<int64_t>(width * ratio);
  const int64_t cy = randint(0, height, gen);
  const int64_t cx = randint(0, width, gen);
  auto clip = [](int64_t v, int64_t hi) { return std::clamp<int64_t>(v, 0, hi); };
  return {clip(cy - cut_h / 2, height), clip(cy + (cut_h + 1) / 2, height), clip(cx - cut_w / 2, width),
          clip(cx + (cut_w + 1) / 2, width)};
}

double cutmix_corrected_lam(const std::array<int64_t, 4>& box, int64_t height, int64_t width) {
  return 1.0 -
         static_cast<double>((box[1] - box[0]) * (box[3] - box[2])) / static_cast<double>(height * width);
}

Mixup::Mixup(MixupOptions o) : o_(std::move(o)) {
  if (!o_.cutmix_minmax.empty()) {
    if (o_.cutmix_minmax.size() != 2) throw std::invalid_argument("Mixup: cutmix_minmax needs two values");
    o_.cutmix_alpha = 1.0;  // as timm: minmax switches CutMix on
  }
  if (o_.mixup_alpha <= 0 && o_.cutmix_alpha <= 0) {
    throw std::invalid_argument(
        "Mixup: one of mixup_alpha > 0, cutmix_alpha > 0 or cutmix_minmax is required");
  }
  if (o_.mode != "batch" && o_.mode != "pair" && o_.mode != "elem") {
    throw std::invalid_argument("Mixup: mode must be batch, pair or elem, not '" + o_.mode + "'");
  }
  if (o_.num_classes < 1) throw std::invalid_argument("Mixup: num_classes must be positive");
}

std::pair<double, bool> Mixup::sample_params(torch::Generator& gen) const {
  if (uniform01(gen) >= o_.prob) return {1.0, false};
  if (o_.mixup_alpha > 0 && o_.cutmix_alpha > 0) {
    const bool cutmix = uniform01(gen) < o_.switch_prob;
    return {sample_beta(cutmix ? o_.cutmix_alpha : o_.mixup_alpha, gen), cutmix};
  }
  if (o_.mixup_alpha > 0) return {sample_beta(o_.mixup_alpha, gen), false};
  return {sample_beta(o_.cutmix_alpha, gen), true};
}

std::pair<torch::Tensor, torch::Tensor> Mixup::operator()(torch::Tensor images, torch::Tensor labels,
                                                          torch::Generator& gen) const {
  if (images.dim() != 4) throw std::invalid_argument("Mixup: images must be (B, C, H, W)");
  const int64_t b = images.size(0), h = images.size(2), w = images.size(3);
  if (b % 2 != 0) throw std::invalid_argument("Mixup: batch size must be even, got " + std::to_string(b));
  if (labels.dim() != 1 || labels.size(0) != b) throw std::invalid_argument("Mixup: labels must be (B,)");
  torch::NoGradGuard no_grad;
  const torch::Tensor y1 = smooth_one_hot(labels, o_.num_classes, o_.label_smoothing).to(images.device());
  const torch::Tensor y2 = y1.flip(0);
  if (o_.mode == "batch") {
    auto [lam, cutmix] = sample_params(gen);
    if (lam != 1.0) {
      if (cutmix) {
        const auto box = cutmix_box(h, w, lam, o_.cutmix_minmax, gen);
        using torch::indexing::Slice;
        const auto region = std::vector<at::indexing::TensorIndex>{Slice(), Slice(), Slice(box[0], box[1]),
                                                                   Slice(box[2], box[3])};
        images.index_put_(region, images.flip(0).index(region));
        lam = cutmix_corrected_lam(box, h, w);
      } else {
        const torch::Tensor flipped = images.flip(0).mul_(1.0 - lam);
        images.mul_(lam).add_(flipped);
      }
    }
    return {images, y1 * lam + y2 * (1.0 - lam)};
  }
  {
    // Per element (or per pair i, B-1-i): each mixes with its mirror in the unmodified batch.
    const bool pair = o_.mode == "pair";
    const int64_t n = pair ? b / 2 : b;
    const torch::Tensor original = images.clone();
    std::vector<float> lams(static_cast<size_t>(b), 1.0f);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = b - i - 1;
      auto [lam, cutmix] = sample_params(gen);
      lam = static_cast<float>(lam);  // timm keeps per-element lambdas in float32
      if (lam != 1.0) {
        if (cutmix) {
          const auto box = cutmix_box(h, w, lam, o_.cutmix_minmax, gen);
          using torch::indexing::Slice;
          const auto region =
              std::vector<at::indexing::TensorIndex>{Slice(), Slice(box[0], box[1]), Slice(box[2], box[3])};
          images[i].index_put_(region, original[j].index(region));
          if (pair) images[j].index_put_(region, original[i].index(region));
          lam = cutmix_corrected_lam(box, h, w);
        } else {
          images[i].copy_(images[i] * lam + original[j] * (1.0 - lam));
          if (pair) images[j].copy_(images[j] * lam + original[i] * (1.0 - lam));
        }
      }
      lams[static_cast<size_t>(i)] = static_cast<float>(lam);
      if (pair) lams[static_cast<size_t>(j)] = static_cast<float>(lam);
    }
    const torch::Tensor lam_tensor = torch::tensor(lams, torch::kFloat32).to(images.device()).unsqueeze(1);
    return {images, y1 * lam_tensor + y2 * (1.0 - lam_tensor)};
  }
}

torch::Tensor smooth_one_hot(torch::Tensor labels, int64_t num_classes, double smoothing) {
  const double off = smoothing / static_cast<double>(num_classes);
  const double on = 1.0 - smoothing + off;
  const auto idx = labels.to(torch::kLong).view({-1, 1});
  if (idx.numel() > 0 && (idx.min().item<int64_t>() < 0 || idx.max().item<int64_t>() >= num_classes)) {
    throw std::invalid_argument("smooth_one_hot: label outside [0, " + std::to_string(num_classes) + ")");
  }
  return torch::full({idx.size(0), num_classes}, off,
                     torch::TensorOptions().dtype(torch::kFloat32).device(labels.device()))
      .scatter_(1, idx, on);
}

}  // namespace focal::data
