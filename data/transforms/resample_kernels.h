#pragma once
// The two convolution passes of Pillow's 8-bit resampling, scalar and AVX2. Both compute the same
// integers (products of uint8 pixels and 22-bit fixed-point weights, summed in int32), so the vector
// kernels give bit-identical results; the dispatcher picks AVX2 when the CPU has it.
#include "data/decode/image.h"

#include <cstdint>
#include <vector>

namespace focal::data {

// Fixed-point weights of one pass: output pixel i reads `count[i]` source pixels from `first[i]`,
// weights at weights[i * ksize ...]; ksize is even and unused weights are zero.
struct ResampleWeights {
  int64_t ksize = 0;
  std::vector<int32_t> first;
  std::vector<int32_t> count;
  std::vector<int32_t> weights;
};

constexpr int kResamplePrecisionBits = 32 - 8 - 2;

// out row r = convolution of source row (row0 + r) along x. `in` rows must have 16 readable bytes past
// their last pixel (Image allocates them), and `out` likewise.
void resample_horizontal(const ImageView& in, int64_t row0, const ResampleWeights& w, Image& out);
// out row r = convolution of source rows (row0 + first[r] ...) along y.
void resample_vertical(const ImageView& in, int64_t row0, const ResampleWeights& w, Image& out);

}  // namespace focal::data
