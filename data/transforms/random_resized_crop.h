#pragma once
// The crop box of timm's RandomResizedCropAndInterpolation.get_params: area fraction uniform in `scale`,
// aspect ratio log-uniform in `ratio`, 10 attempts, then the central crop clamped to the ratio range.
#include "data/decode/image.h"
#include "data/loading/rng.h"

#include <torch/arg.h>

namespace focal::data {

struct RandomResizedCropOptions {
  TORCH_ARG(double, scale_min) = 0.08;
  TORCH_ARG(double, scale_max) = 1.0;
  TORCH_ARG(double, ratio_min) = 3.0 / 4.0;
  TORCH_ARG(double, ratio_max) = 4.0 / 3.0;
};

// The crop (x = left, y = top) inside a width x height image.
Rect sample_random_resized_crop(Rng& rng, int64_t width, int64_t height,
                                const RandomResizedCropOptions& options);

// Largest JPEG DCT reduction (1, 2, 4 or 8) keeping the crop at least out_width x out_height pixels.
int64_t dct_scale_for_crop(const Rect& crop, int64_t out_width, int64_t out_height);

}  // namespace focal::data
