#pragma once
// Pillow's ImageOps and ImageEnhance operations on 8-bit images (the colour operations of RandAugment and
// torchvision's ColorJitter on PIL images), with Pillow's integer/float arithmetic so results match it.
#include "data/decode/image.h"

#include <array>
#include <cstdint>

namespace focal::data {

using Lut = std::array<uint8_t, 256>;

// Image.point(lut) with the same table for every channel.
void apply_lut(Image& img, const Lut& lut);

void invert(Image& img);                                // ImageOps.invert
void posterize(Image& img, int bits);                   // ImageOps.posterize; bits <= 0 gives black
void solarize(Image& img, int threshold);               // ImageOps.solarize
void solarize_add(Image& img, int add, int threshold);  // timm's solarize_add
void auto_contrast(Image& img);                         // ImageOps.autocontrast() (no cutoff)
void equalize(Image& img);                              // ImageOps.equalize()

// Image.blend(degenerate, img, factor) written into img: degenerate + factor * (img - degenerate) in single
// precision, truncated (and clipped when extrapolating).
void blend_into(const Image& degenerate, Image& img, double factor);

void adjust_brightness(Image& img, double factor);  // ImageEnhance.Brightness
void adjust_contrast(Image& img, double factor);    // ImageEnhance.Contrast
void adjust_color(Image& img, double factor);       // ImageEnhance.Color (saturation)
void adjust_sharpness(Image& img, double factor);   // ImageEnhance.Sharpness

// ImageFilter.SMOOTH (3x3 kernel 1 1 1 / 1 5 1 / 1 1 1 over 13; the border keeps the input).
Image smooth(const Image& img);

}  // namespace focal::data
