#pragma once
// Pillow's resampling (libImaging/Resample.c, Image.resize) re-implemented on 8-bit images: a separable
// convolution whose support grows with the downscale factor (antialiasing), coefficients normalised to
// 22-bit fixed point, horizontal pass first, each pass rounded to uint8. torchvision's Resize and
// RandomResizedCrop on PIL images call exactly this, so the eval transform matches Pillow to the bit.
#include "data/decode/image.h"

#include <string>

namespace focal::data {

enum class Interpolation { kNearest, kBox, kBilinear, kHamming, kBicubic, kLanczos };

// "nearest", "box", "bilinear", "hamming", "bicubic", "lanczos" (timm/torchvision names); throws otherwise.
Interpolation interpolation_from_string(const std::string& name);
std::string to_string(Interpolation interpolation);

// Source box of a resize in the source's pixel coordinates (Pillow's `box`; single precision as there).
struct ResampleBox {
  float x0 = 0.f;
  float y0 = 0.f;
  float x1 = 0.f;
  float y1 = 0.f;
};

// Pillow's im.resize((out_width, out_height), filter) of the whole view.
Image resize(const ImageView& src, int64_t out_width, int64_t out_height, Interpolation filter);
// Pillow's im.resize((out_width, out_height), filter, box): filter taps stay inside the view.
Image resize(const ImageView& src, int64_t out_width, int64_t out_height, Interpolation filter,
             const ResampleBox& box);
// Only the window `region` of Pillow's im.resize((out_width, out_height), filter): identical pixels to
// resizing fully and cropping, without computing the discarded ones (resize + centre crop).
Image resize_region(const ImageView& src, int64_t out_width, int64_t out_height, Interpolation filter,
                    const Rect& region);

}  // namespace focal::data
