#include "data/transforms/random_resized_crop.h"

#include <cmath>

namespace focal::data {

Rect sample_random_resized_crop(Rng& rng, int64_t width, int64_t height, const RandomResizedCropOptions& o) {
  const double area = static_cast<double>(width) * static_cast<double>(height);
  const double log_lo = std::log(o.ratio_min()), log_hi = std::log(o.ratio_max());
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = rng.uniform(o.scale_min(), o.scale_max()) * area;
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    // Python's round() rounds halves to even, as nearbyint does in the default rounding mode.
    const auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(target_area * aspect)));
    const auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(target_area / aspect)));
    if (w <= width && h <= height && w > 0 && h > 0) {
      const int64_t top = rng.randint(0, height - h);
      const int64_t left = rng.randint(0, width - w);
      return Rect{left, top, w, h};
    }
  }
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  int64_t w = width, h = height;
  if (in_ratio < o.ratio_min()) {
    h = static_cast<int64_t>(std::nearbyint(static_cast<double>(w) / o.ratio_min()));
  } else if (in_ratio > o.ratio_max()) {
    w = static_cast<int64_t>(std::nearbyint(static_cast<double>(h) * o.ratio_max()));
  }
  return Rect{(width - w) / 2, (height - h) / 2, w, h};
}

int64_t dct_scale_for_crop(const Rect& crop, int64_t out_width, int64_t out_height) {
  for (int64_t denom : {8, 4, 2}) {
    if (crop.width >= out_width * denom && crop.height >= out_height * denom) return denom;
  }
  return 1;
}

}  // namespace focal::data
