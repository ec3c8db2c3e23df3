#pragma once
// torchvision's ColorJitter(brightness, contrast, saturation) on PIL images: the three adjustments in a
// random order, each with a factor uniform in [max(0, 1 - s), 1 + s]. (Hue jitter is not implemented:
// timm's scalar color_jitter leaves it at 0.)
#include "data/decode/image.h"
#include "data/loading/rng.h"

#include <torch/arg.h>

#include <array>

namespace focal::data {

struct ColorJitterOptions {
  TORCH_ARG(double, brightness) = 0.4;
  TORCH_ARG(double, contrast) = 0.4;
  TORCH_ARG(double, saturation) = 0.4;
};

// The random decisions of one call: order[i] is 0 (brightness), 1 (contrast) or 2 (saturation);
// a factor of 1 means the adjustment is disabled.
struct ColorJitterParams {
  std::array<int, 3> order{0, 1, 2};
  std::array<double, 3> factor{1.0, 1.0, 1.0};
};

ColorJitterParams sample_color_jitter(Rng& rng, const ColorJitterOptions& options);
void apply_color_jitter(Image& img, const ColorJitterParams& params);

}  // namespace focal::data
