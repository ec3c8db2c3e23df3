#include "data/transforms/image_ops.h"

#include "data/decode/image_decoder.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace focal::data {
namespace {

std::array<int64_t, 256> histogram(const Image& img, int64_t channel) {
  std::array<int64_t, 256> h{};
  const int64_t c = img.channels();
  const int64_t n = img.height() * img.width();
  const uint8_t* p = img.data() + channel;
  for (int64_t i = 0; i < n; ++i) ++h[p[i * c]];
  return h;
}

void apply_luts(Image& img, const std::vector<Lut>& luts) {
  const int64_t c = img.channels();
  const int64_t n = img.height() * img.width();
  uint8_t* p = img.data();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t b = 0; b < c; ++b) p[i * c + b] = luts[b][p[i * c + b]];
  }
}

uint8_t clip_lut(int64_t v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

}  // namespace

void apply_lut(Image& img, const Lut& lut) {
  uint8_t* p = img.data();
  const int64_t n = img.num_bytes();
  for (int64_t i = 0; i < n; ++i) p[i] = lut[p[i]];
}

void invert(Image& img) {
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(255 - i);
  apply_lut(img, lut);
}

void posterize(Image& img, int bits) {
  if (bits >= 8) return;
  // Pillow >= 12 rejects bits < 1; earlier versions (and the mask arithmetic) give black.
  const int mask = bits <= 0 ? 0 : ~((1 << (8 - bits)) - 1);
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i & mask);
  apply_lut(img, lut);
}

void solarize(Image& img, int threshold) {
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i < threshold ? i : 255 - i);
  apply_lut(img, lut);
}

void solarize_add(Image& img, int add, int threshold) {
  Lut lut;
  for (int i = 0; i < 256; ++i) lut[i] = i < threshold ? clip_lut(i + add) : static_cast<uint8_t>(i);
  apply_lut(img, lut);
}

void auto_contrast(Image& img) {
  std::vector<Lut> luts(img.channels());
  for (int64_t b = 0; b < img.channels(); ++b) {
    const auto h = histogram(img, b);
    int lo = 0, hi = 255;
    while (lo < 256 && h[lo] == 0) ++lo;
    while (hi >= 0 && h[hi] == 0) --hi;
    if (hi <= lo) {
      for (int i = 0; i < 256; ++i) luts[b][i] = static_cast<uint8_t>(i);
      continue;
    }
    const double scale = 255.0 / (hi - lo);
    const double offset = -lo * scale;
    for (int i = 0; i < 256; ++i) luts[b][i] = clip_lut(static_cast<int64_t>(i * scale + offset));
  }
  apply_luts(img, luts);
}

void equalize(Image& img) {
  std::vector<Lut> luts(img.channels());
  for (int64_t b = 0; b < img.channels(); ++b) {
    const auto h = histogram(img, b);
    int64_t total = 0, nonzero = 0, last = 0;
    for (int i = 0; i < 256; ++i) {
      if (h[i] == 0) continue;
      total += h[i];
      ++nonzero;
      last = h[i];
    }
    const int64_t step = nonzero <= 1 ? 0 : (total - last) / 255;
    if (step == 0) {
      for (int i = 0; i < 256; ++i) luts[b][i] = static_cast<uint8_t>(i);
      continue;
    }
    int64_t n = step / 2;
    for (int i = 0; i < 256; ++i) {
      luts[b][i] = clip_lut(n / step);
      n += h[i];
    }
  }
  apply_luts(img, luts);
}

void blend_into(const Image& degenerate, Image& img, double factor) {
  const float alpha = static_cast<float>(factor);  // Pillow takes the factor as a C float
  if (alpha == 1.0f) return;
  const int64_t n = img.num_bytes();
  const uint8_t* d = degenerate.data();
  uint8_t* p = img.data();
  if (alpha == 0.0f) {
    std::memcpy(p, d, static_cast<size_t>(n));
    return;
  }
  if (alpha >= 0.0f && alpha <= 1.0f) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = static_cast<float>(d[i]) + alpha * static_cast<float>(static_cast<int>(p[i]) - d[i]);
      p[i] = static_cast<uint8_t>(v);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const float v = static_cast<float>(d[i]) + alpha * static_cast<float>(static_cast<int>(p[i]) - d[i]);
    p[i] = v <= 0.0f ? 0 : (v >= 255.0f ? 255 : static_cast<uint8_t>(v));
  }
}

namespace {

// Image.blend of a constant degenerate value: a function of the pixel value alone, so a table.
Lut blend_constant_lut(int degenerate, double factor) {
  Image d(1, 256, 1), v(1, 256, 1);
  for (int i = 0; i < 256; ++i) {
    d.data()[i] = static_cast<uint8_t>(degenerate);
    v.data()[i] = static_cast<uint8_t>(i);
  }
  blend_into(d, v, factor);
  Lut lut;
  std::memcpy(lut.data(), v.data(), 256);
  return lut;
}

}  // namespace

void adjust_brightness(Image& img, double factor) { apply_lut(img, blend_constant_lut(0, factor)); }

void adjust_contrast(Image& img, double factor) {
  std::array<int64_t, 256> h{};
  const int64_t n = img.height() * img.width();
  const uint8_t* p = img.data();
  if (img.channels() == 1) {
    for (int64_t i = 0; i < n; ++i) ++h[p[i]];
  } else {
    for (int64_t i = 0; i < n; ++i) {
      ++h[(p[i * 3] * 19595u + p[i * 3 + 1] * 38470u + p[i * 3 + 2] * 7471u + 0x8000u) >> 16];
    }
  }
  double sum = 0.0;
  for (int i = 0; i < 256; ++i) sum += static_cast<double>(i) * static_cast<double>(h[i]);
  const int mean = n > 0 ? static_cast<int>(sum / static_cast<double>(n) + 0.5) : 0;
  apply_lut(img, blend_constant_lut(mean, factor));
}

void adjust_color(Image& img, double factor) {
  if (img.channels() == 1) return;  // the degenerate of a grayscale image is the image itself
  blend_into(gray_to_rgb(rgb_to_gray(img)), img, factor);
}

void adjust_sharpness(Image& img, double factor) { blend_into(smooth(img), img, factor); }

Image smooth(const Image& img) {
  Image out = img.clone();
  const int64_t w = img.width(), h = img.height(), c = img.channels();
  if (w < 3 || h < 3) return out;
  // Pillow divides the integer kernel by its scale in single precision and sums row by row.
  const float edge = 1.0f / 13.0f, centre = 5.0f / 13.0f;
  const float k[9] = {edge, edge, edge, edge, centre, edge, edge, edge, edge};
  auto row3 = [&](const uint8_t* r, int64_t i, const float* kk) {
    return static_cast<float>(r[i - c]) * kk[0] + static_cast<float>(r[i]) * kk[1] +
           static_cast<float>(r[i + c]) * kk[2];
  };
  for (int64_t y = 1; y < h - 1; ++y) {
    const uint8_t* above = img.row(y - 1);
    const uint8_t* mid = img.row(y);
    const uint8_t* below = img.row(y + 1);
    uint8_t* o = out.row(y);
    for (int64_t i = c; i < (w - 1) * c; ++i) {
      float ss = 0.5f;
      ss += row3(below, i, &k[0]);
      ss += row3(mid, i, &k[3]);
      ss += row3(above, i, &k[6]);
      ss = ss < 0.0f ? 0.0f : ss;
      ss = ss > 255.0f ? 255.0f : ss;
      o[i] = static_cast<uint8_t>(ss);
    }
  }
  return out;
}

}  // namespace focal::data
