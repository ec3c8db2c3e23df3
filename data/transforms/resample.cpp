#include "data/transforms/resample.h"

#include "data/transforms/resample_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace focal::data {
namespace {

double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double bilinear_filter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_filter(double x) {
  x = std::fabs(x);
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * M_PI;
  // Pillow writes these constants as floats; keep their float values.
  return std::sin(x) / x * (0.54f + 0.46f * std::cos(x));
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}

double lanczos_filter(double x) { return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0; }

struct Filter {
  double (*fn)(double);
  double support;
};

Filter filter_of(Interpolation f) {
  switch (f) {
    case Interpolation::kBox:
      return {box_filter, 0.5};
    case Interpolation::kBilinear:
      return {bilinear_filter, 1.0};
    case Interpolation::kHamming:
      return {hamming_filter, 1.0};
    case Interpolation::kBicubic:
      return {bicubic_filter, 2.0};
    case Interpolation::kLanczos:
      return {lanczos_filter, 3.0};
    case Interpolation::kNearest:
      break;
  }
  throw std::invalid_argument("resize: nearest has no convolution filter");
}

// Pillow's precompute_coeffs followed by normalize_coeffs_8bpc.
ResampleWeights precompute(int64_t in_size, float in0, float in1, int64_t out_size, const Filter& filter) {
  double scale = static_cast<double>(in1 - in0) / static_cast<double>(out_size);
  const double filterscale = std::max(scale, 1.0);
  const double support = filter.support * filterscale;
  ResampleWeights c;
  const int64_t taps_max = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  c.ksize = taps_max + 1;  // even, so vector kernels may read weights in pairs
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(out_size * c.ksize, 0);
  std::vector<double> k(taps_max);
  for (int64_t xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int64_t xmin = static_cast<int>(center - support + 0.5);  // C truncation, as Pillow
    if (xmin < 0) xmin = 0;
    int64_t xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int64_t x = 0; x < xmax; ++x) {
      const double w = filter.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t* out = &c.weights[xx * c.ksize];
    for (int64_t x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? k[x] / ww : k[x];
      out[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kResamplePrecisionBits))
                     : static_cast<int32_t>(0.5 + v * (1 << kResamplePrecisionBits));
    }
    c.first[xx] = static_cast<int32_t>(xmin);
    c.count[xx] = static_cast<int32_t>(std::max<int64_t>(xmax, 0));
  }
  return c;
}

// Pillow's resize with NEAREST: an affine scale with accumulated source positions (ImagingScaleAffine).
Image resize_nearest(const ImageView& src, int64_t out_w, int64_t out_h, const ResampleBox& box) {
  const double ax = static_cast<double>(box.x1 - box.x0) / out_w;
  const double ay = static_cast<double>(box.y1 - box.y0) / out_h;
  auto coord = [](double v) { return v < 0.0 ? -1 : static_cast<int>(v); };
  std::vector<int64_t> xin(out_w, -1);
  double xo = box.x0 + ax * 0.5;
  for (int64_t x = 0; x < out_w; ++x) {
    const int v = coord(xo);
    if (v >= 0 && v < src.width) xin[x] = v;
    xo += ax;
  }
  Image out(out_h, out_w, src.channels);
  const int64_t ch = src.channels;
  double yo = box.y0 + ay * 0.5;
  for (int64_t y = 0; y < out_h; ++y) {
    const int yi = coord(yo);
    uint8_t* o = out.row(y);
    std::memset(o, 0, static_cast<size_t>(out.stride()));
    if (yi >= 0 && yi < src.height) {
      const uint8_t* in = src.row(yi);
      for (int64_t x = 0; x < out_w; ++x) {
        if (xin[x] >= 0) std::memcpy(o + x * ch, in + xin[x] * ch, static_cast<size_t>(ch));
      }
    }
    yo += ay;
  }
  return out;
}

// Weights of outputs [start, start + n), optionally reading from a source window starting at `offset`.
ResampleWeights slice(const ResampleWeights& w, int64_t start, int64_t n, int64_t offset) {
  ResampleWeights s;
  s.ksize = w.ksize;
  s.first.assign(w.first.begin() + start, w.first.begin() + start + n);
  for (auto& f : s.first) f = static_cast<int32_t>(f - offset);
  s.count.assign(w.count.begin() + start, w.count.begin() + start + n);
  s.weights.assign(w.weights.begin() + start * w.ksize, w.weights.begin() + (start + n) * w.ksize);
  return s;
}

// The window `region` of Pillow's resize: each output pixel depends only on its own weights, so a
// window is computed by slicing the weights of the full-size resize.
Image resize_impl(const ImageView& src, int64_t out_width, int64_t out_height, Interpolation filter,
                  const ResampleBox& box, const Rect& region) {
  if (out_width <= 0 || out_height <= 0) throw std::invalid_argument("resize: output size must be positive");
  if (src.width <= 0 || src.height <= 0) throw std::invalid_argument("resize: empty source image");
  if (src.channels != 1 && src.channels != 3) throw std::invalid_argument("resize: 1 or 3 channels expected");
  if (box.x0 < 0 || box.y0 < 0 || box.x1 > src.width || box.y1 > src.height || box.x1 - box.x0 <= 0 ||
      box.y1 - box.y0 <= 0) {
    throw std::invalid_argument("resize: box outside the source image");
  }
  const bool whole = box.x0 == 0 && box.y0 == 0 && box.x1 == src.width && box.y1 == src.height;
  if (whole && out_width == src.width && out_height == src.height) {
    return Image::from_view(ImageView{src.row(region.y) + region.x * src.channels, region.height,
                                      region.width, src.channels, src.stride});
  }
  if (filter == Interpolation::kNearest) {
    Image full = resize_nearest(src, out_width, out_height, box);
    if (region.width == out_width && region.height == out_height) return full;
    return Image::from_view(full.view(region));
  }

  const Filter f = filter_of(filter);
  const bool need_h = out_width != src.width || box.x0 != 0 || box.x1 != out_width;
  const bool need_v = out_height != src.height || box.y0 != 0 || box.y1 != out_height;
  // Pillow >= 11 runs the vertical pass first when the height shrinks more than twice as much as the
  // width; the rounding between passes makes the order visible in the result.
  const int64_t dh = src.height - out_height;
  const int64_t dw = src.width - out_width;
  const bool horizontal_first = !(dh > 0 && dh > dw * 2);

  // Horizontal weights for the region's columns, and the source columns they read.
  ResampleWeights wh;
  int64_t col_first = 0, col_last = src.width;
  if (need_h) {
    wh = slice(precompute(src.width, box.x0, box.x1, out_width, f), region.x, region.width, 0);
    col_first = wh.first.front();
    col_last = wh.first.back() + wh.count.back();
  }
  ResampleWeights wv;
  int64_t row_first = region.y, row_last = region.y + region.height;
  if (need_v) {
    wv = slice(precompute(src.height, box.y0, box.y1, out_height, f), region.y, region.height, 0);
    row_first = wv.first.front();
    row_last = wv.first.back() + wv.count.back();
  }
  // A pass that is not needed keeps the region's own columns/rows.
  if (!need_h) col_first = region.x, col_last = region.x + region.width;

  auto sub_view = [](const ImageView& v, int64_t x0, int64_t x1, int64_t y0, int64_t y1) {
    return ImageView{v.row(y0) + x0 * v.channels, y1 - y0, x1 - x0, v.channels, v.stride};
  };
  auto run_h = [&](const ImageView& in, int64_t x_offset) {
    Image out(in.height, region.width, in.channels);
    resample_horizontal(in, 0, slice(wh, 0, region.width, x_offset), out);
    return out;
  };
  auto run_v = [&](const ImageView& in, int64_t y_offset) {
    Image out(region.height, in.width, in.channels);
    resample_vertical(in, 0, slice(wv, 0, region.height, y_offset), out);
    return out;
  };

  if (!need_v)
    return run_h(sub_view(src, col_first, col_last, region.y, region.y + region.height), col_first);
  if (!need_h) return run_v(sub_view(src, col_first, col_last, row_first, row_last), row_first);
  if (horizontal_first) {
    Image temp = run_h(sub_view(src, col_first, col_last, row_first, row_last), col_first);
    return run_v(temp.view(), row_first);
  }
  Image temp = run_v(sub_view(src, col_first, col_last, row_first, row_last), row_first);
  return run_h(temp.view(), col_first);
}

}  // namespace

Interpolation interpolation_from_string(const std::string& name) {
  if (name == "nearest") return Interpolation::kNearest;
  if (name == "box") return Interpolation::kBox;
  if (name == "bilinear") return Interpolation::kBilinear;
  if (name == "hamming") return Interpolation::kHamming;
  if (name == "bicubic") return Interpolation::kBicubic;
  if (name == "lanczos") return Interpolation::kLanczos;
  throw std::invalid_argument("unknown interpolation '" + name +
                              "' (expected nearest, box, bilinear, hamming, bicubic or lanczos)");
}

std::string to_string(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::kNearest:
      return "nearest";
    case Interpolation::kBox:
      return "box";
    case Interpolation::kBilinear:
      return "bilinear";
    case Interpolation::kHamming:
      return "hamming";
    case Interpolation::kBicubic:
      return "bicubic";
    case Interpolation::kLanczos:
      return "lanczos";
  }
  return "?";
}

Image resize(const ImageView& src, int64_t out_width, int64_t out_height, Interpolation filter) {
  return resize(src, out_width, out_height, filter,
                ResampleBox{0.f, 0.f, static_cast<float>(src.width), static_cast<float>(src.height)});
}

Image resize(const ImageView& src, int64_t out_width, int64_t out_height, Interpolation filter,
             const ResampleBox& box) {
  return resize_impl(src, out_width, out_height, filter, box, Rect{0, 0, out_width, out_height});
}

Image resize_region(const ImageView& src, int64_t out_width, int64_t out_height, Interpolation filter,
                    const Rect& region) {
  if (region.x < 0 || region.y < 0 || region.width <= 0 || region.height <= 0 ||
      region.x + region.width > out_width || region.y + region.height > out_height) {
    throw std::invalid_argument("resize_region: region outside the output image");
  }
  return resize_impl(src, out_width, out_height, filter,
                     ResampleBox{0.f, 0.f, static_cast<float>(src.width), static_cast<float>(src.height)},
                     region);
}

}  // namespace focal::data
