#pragma once
// Conversions between Image and (H, W, C) uint8 tensors, for tests and tools.
#include "data/decode/image.h"

#include <torch/types.h>

namespace focal::data {

torch::Tensor image_to_tensor(const Image& img);
Image image_from_tensor(const torch::Tensor& hwc);

}  // namespace focal::data
