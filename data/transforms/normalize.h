#pragma once
// torchvision's ToTensor + Normalize fused: (pixel / 255 - mean) / std in single precision, written as
// (C, H, W) floats, optionally mirrored left-right on the way (the horizontal flip costs nothing here).
#include "data/decode/image.h"

#include <vector>

namespace focal::data {

class Normalizer {
 public:
  // One mean/std per channel; a single value applies to every channel.
  Normalizer(std::vector<double> mean, std::vector<double> std);
  // out holds channels * height * width floats.
  void operator()(const Image& img, bool flip, float* out) const;

 private:
  std::vector<std::vector<float>> lut_;  // per channel, 256 entries: exactly torchvision's float values
};

}  // namespace focal::data
