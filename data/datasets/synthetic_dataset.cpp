#include "data/datasets/synthetic_dataset.h"

#include "data/loading/rng.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace focal::data {

SyntheticDataset::SyntheticDataset(SyntheticDatasetOptions options) : options_(std::move(options)) {
  if (options_.size() < 0 || options_.num_classes() < 1 || options_.height() < 1 || options_.width() < 1 ||
      (options_.channels() != 1 && options_.channels() != 3)) {
    throw std::invalid_argument(
        "synthetic dataset: size >= 0, num_classes >= 1, positive image size and 1 or 3 channels");
  }
}

RawSample SyntheticDataset::get(int64_t index) const {
  if (index < 0 || index >= options_.size()) {
    throw std::out_of_range("synthetic dataset: index " + std::to_string(index) + " out of range");
  }
  Rng rng(combine_seed(options_.seed(), static_cast<uint64_t>(index)));
  RawSample s;
  s.label = rng.randint(0, options_.num_classes() - 1);
  const int64_t h = options_.height(), w = options_.width(), c = options_.channels();
  // Separable pattern (row term + column term per channel): cheap, smooth, with real structure.
  std::vector<float> rows(h * c), cols(w * c);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double base = rng.uniform(40, 215), fy = rng.uniform(0.01, 0.2), fx = rng.uniform(0.01, 0.2);
    const double ay = rng.uniform(10, 40), ax = rng.uniform(10, 40), py = rng.uniform(0, 6.3),
                 px = rng.uniform(0, 6.3);
    for (int64_t y = 0; y < h; ++y) rows[y * c + ch] = static_cast<float>(base + ay * std::sin(fy * y + py));
    for (int64_t x = 0; x < w; ++x) cols[x * c + ch] = static_cast<float>(ax * std::sin(fx * x + px));
  }
  Image img(h, w, c);
  for (int64_t y = 0; y < h; ++y) {
    uint8_t* o = img.row(y);
    for (int64_t x = 0; x < w; ++x) {
      for (int64_t ch = 0; ch < c; ++ch) {
        const float v = rows[y * c + ch] + cols[x * c + ch];
        o[x * c + ch] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
      }
    }
  }
  s.image = std::move(img);
  s.name = describe(index);
  return s;
}

std::string SyntheticDataset::describe(int64_t index) const {
  return "synthetic[" + std::to_string(index) + "]";
}

}  // namespace focal::data
