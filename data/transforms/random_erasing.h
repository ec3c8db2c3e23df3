#pragma once
// timm's RandomErasing on a normalised (C, H, W) float image: with probability p, `count` boxes (1 to
// max_count) of area fraction uniform in [min_area, max_area] / count and log-uniform aspect ratio
// (10 attempts each) are filled with per-pixel normal noise ("pixel"), a per-channel normal colour
// ("rand") or zeros ("const").
#include "data/decode/image.h"
#include "data/loading/rng.h"

#include <torch/arg.h>

#include <string>
#include <vector>

namespace focal::data {

struct RandomErasingOptions {
  TORCH_ARG(double, probability) = 0.25;
  TORCH_ARG(double, min_area) = 0.02;
  TORCH_ARG(double, max_area) = 1.0 / 3.0;
  TORCH_ARG(double, min_aspect) = 0.3;
  TORCH_ARG(std::string, mode) = "pixel";  // "pixel" | "rand" | "const"
  TORCH_ARG(int64_t, min_count) = 1;
  TORCH_ARG(int64_t, max_count) = 1;
};

// The boxes one call erases (empty when the probability test fails).
std::vector<Rect> sample_erasing_boxes(Rng& rng, int64_t height, int64_t width,
                                       const RandomErasingOptions& options);

// Samples the boxes and fills them in `chw` (channels x height x width floats), drawing noise from rng.
void random_erase(float* chw, int64_t channels, int64_t height, int64_t width, Rng& rng,
                  const RandomErasingOptions& options);

}  // namespace focal::data
