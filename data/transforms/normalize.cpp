#include "data/transforms/normalize.h"

#include <stdexcept>
#include <string>

namespace focal::data {

Normalizer::Normalizer(std::vector<double> mean, std::vector<double> std) {
  if (mean.empty() || mean.size() != std.size()) {
    throw std::invalid_argument("Normalizer: mean and std need the same, non-zero number of values (got " +
                                std::to_string(mean.size()) + " and " + std::to_string(std.size()) + ")");
  }
  for (size_t c = 0; c < mean.size(); ++c) {
    if (std[c] == 0.0)
      throw std::invalid_argument("Normalizer: std of channel " + std::to_string(c) + " is zero");
    const float m = static_cast<float>(mean[c]), s = static_cast<float>(std[c]);
    std::vector<float> lut(256);
    for (int v = 0; v < 256; ++v) lut[v] = (static_cast<float>(v) / 255.0f - m) / s;
    lut_.push_back(std::move(lut));
  }
}

void Normalizer::operator()(const Image& img, bool flip, float* out) const {
  const int64_t c = img.channels(), h = img.height(), w = img.width();
  if (lut_.size() != 1 && static_cast<int64_t>(lut_.size()) != c) {
    throw std::invalid_argument("Normalizer: " + std::to_string(lut_.size()) + " mean values for a " +
                                std::to_string(c) + "-channel image");
  }
  for (int64_t ch = 0; ch < c; ++ch) {
    const float* lut = lut_[lut_.size() == 1 ? 0 : ch].data();
    float* plane = out + ch * h * w;
    for (int64_t y = 0; y < h; ++y) {
      const uint8_t* row = img.row(y) + ch;
      float* o = plane + y * w;
      if (flip) {
        for (int64_t x = 0; x < w; ++x) o[w - 1 - x] = lut[row[x * c]];
      } else {
        for (int64_t x = 0; x < w; ++x) o[x] = lut[row[x * c]];
      }
    }
  }
}

}  // namespace focal::data
