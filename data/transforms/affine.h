#pragma once
// Pillow's Image.transform(size, AFFINE, ...) and Image.rotate on 8-bit images, as RandAugment's geometric
// operations call them: each output pixel centre (x + .5, y + .5) is mapped through the inverse matrix to
// the input, interpolated there, and pixels mapping outside the input keep the fill colour.
#include "data/decode/image.h"
#include "data/transforms/resample.h"

#include <array>
#include <vector>

namespace focal::data {

// Inverse map (a, b, c, d, e, f): input = (a x + b y + c, d x + e y + f) for output point (x, y).
using AffineMatrix = std::array<double, 6>;

// Same size as the input. `interpolation`: nearest, bilinear or bicubic (Pillow's transform filters:
// bicubic here is the a = -1 cubic convolution of libImaging/Geometry.c, not the resize filter).
// `fill` holds one value per channel (for 1 channel the first value is used).
Image affine_transform(const Image& src, const AffineMatrix& m, Interpolation interpolation,
                       const std::vector<uint8_t>& fill);

// The matrix Image.rotate(degrees) uses (counter-clockwise about the centre, same size).
AffineMatrix rotation_matrix(double degrees, int64_t width, int64_t height);

// Image.rotate(degrees, resample, fillcolor=fill), including its exact multiples of 90 degrees.
Image rotate(const Image& src, double degrees, Interpolation interpolation, const std::vector<uint8_t>& fill);

}  // namespace focal::data
