#include "data/transforms/random_erasing.h"

#include <cmath>
#include <stdexcept>

namespace focal::data {

std::vector<Rect> sample_erasing_boxes(Rng& rng, int64_t height, int64_t width,
                                       const RandomErasingOptions& o) {
  std::vector<Rect> boxes;
  if (rng.uniform() > o.probability()) return boxes;
  const double area = static_cast<double>(height) * static_cast<double>(width);
  const int64_t count =
      o.min_count() == o.max_count() ? o.min_count() : rng.randint(o.min_count(), o.max_count());
  const double log_lo = std::log(o.min_aspect()), log_hi = std::log(1.0 / o.min_aspect());
  for (int64_t n = 0; n < count; ++n) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target_area = rng.uniform(o.min_area(), o.max_area()) * area / static_cast<double>(count);
      const double aspect = std::exp(rng.uniform(log_lo, log_hi));
      const auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(target_area * aspect)));
      const auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(target_area / aspect)));
      if (w < width && h < height) {
        const int64_t top = rng.randint(0, height - h);
        const int64_t left = rng.randint(0, width - w);
        boxes.push_back(Rect{left, top, w, h});
        break;
      }
    }
  }
  return boxes;
}

void random_erase(float* chw, int64_t channels, int64_t height, int64_t width, Rng& rng,
                  const RandomErasingOptions& o) {
  const std::string& mode = o.mode();
  if (mode != "pixel" && mode != "rand" && mode != "const") {
    throw std::invalid_argument("random erasing: unknown mode '" + mode + "' (pixel, rand or const)");
  }
  for (const Rect& r : sample_erasing_boxes(rng, height, width, o)) {
    for (int64_t c = 0; c < channels; ++c) {
      const float colour = mode == "rand" ? static_cast<float>(rng.normal()) : 0.0f;
      for (int64_t y = r.y; y < r.y + r.height; ++y) {
        float* row = chw + (c * height + y) * width;
        for (int64_t x = r.x; x < r.x + r.width; ++x) {
          row[x] = mode == "pixel" ? static_cast<float>(rng.normal()) : colour;
        }
      }
    }
  }
}

}  // namespace focal::data
