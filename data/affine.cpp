#include "data/affine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace focal::data {
namespace {

inline int floor_int(double v) { return v < 0.0 ? static_cast<int>(std::floor(v)) : static_cast<int>(v); }

// Python's round(v, 15): the matrix entries of Image.rotate are rounded to 15 decimals.
double round15(double v) { return std::nearbyint(v * 1e15) / 1e15; }

// Python's float modulo (result takes the divisor's sign).
double py_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0.0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

inline uint8_t clamp_cubic(double v) {
  if (v <= 0.0) return 0;
  if (v >= 255.0) return 255;
  return static_cast<uint8_t>(v);
}

// Geometry.c's cubic through four samples at fraction d (written out in its operation order).
inline double cubic(double v1, double v2, double v3, double v4, double d) {
  const double p1 = v2;
  const double p2 = -v1 + v3;
  const double p3 = 2 * (v1 - v2) + v3 - v4;
  const double p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

struct Sampler {
  const Image& im;
  int64_t w, h, c;
  int64_t xclip(int64_t x) const { return x < 0 ? 0 : (x < w ? x : w - 1); }
  int64_t yclip(int64_t y) const { return y < 0 ? 0 : (y < h ? y : h - 1); }

  // Returns false when the point lies outside the input (the output keeps the fill colour).
  bool bilinear(double xin, double yin, uint8_t* out) const {
    if (xin < 0.0 || xin >= w || yin < 0.0 || yin >= h) return false;
    xin -= 0.5;
    yin -= 0.5;
    const int x = floor_int(xin);
    const int y = floor_int(yin);
    const double dx = xin - x;
    const double dy = yin - y;
    const int64_t x0 = xclip(x), x1 = xclip(x + 1);
    const uint8_t* r0 = im.row(yclip(y));
    const bool has_r1 = y + 1 >= 0 && y + 1 < h;
    const uint8_t* r1 = has_r1 ? im.row(y + 1) : nullptr;
    for (int64_t b = 0; b < c; ++b) {
      const int a0 = r0[x0 * c + b], a1 = r0[x1 * c + b];
      double v1 = a0 + (a1 - a0) * dx;
      double v2 = v1;
      if (has_r1) {
        const int b0 = r1[x0 * c + b], b1 = r1[x1 * c + b];
        v2 = b0 + (b1 - b0) * dx;
      }
      v1 = v1 + (v2 - v1) * dy;
      out[b] = static_cast<uint8_t>(v1);
    }
    return true;
  }

  bool bicubic(double xin, double yin, uint8_t* out) const {
    if (xin < 0.0 || xin >= w || yin < 0.0 || yin >= h) return false;
    xin -= 0.5;
    yin -= 0.5;
    int x = floor_int(xin);
    int y = floor_int(yin);
    const double dx = xin - x;
    const double dy = yin - y;
    --x;
    --y;
    const int64_t xs[4] = {xclip(x), xclip(x + 1), xclip(x + 2), xclip(x + 3)};
    for (int64_t b = 0; b < c; ++b) {
      auto row_value = [&](const uint8_t* r) {
        return cubic(r[xs[0] * c + b], r[xs[1] * c + b], r[xs[2] * c + b], r[xs[3] * c + b], dx);
      };
      const double v1 = row_value(im.row(yclip(y)));
      const double v2 = (y + 1 >= 0 && y + 1 < h) ? row_value(im.row(y + 1)) : v1;
      const double v3 = (y + 2 >= 0 && y + 2 < h) ? row_value(im.row(y + 2)) : v2;
      const double v4 = (y + 3 >= 0 && y + 3 < h) ? row_value(im.row(y + 3)) : v3;
      out[b] = clamp_cubic(cubic(v1, v2, v3, v4, dy));
    }
    return true;
  }
};

// Nearest neighbour goes through Pillow's 16.16 fixed-point affine loop.
Image affine_nearest(const Image& src, const AffineMatrix& a, Image out) {
  auto fix = [](double v) { return floor_int(v * 65536.0 + 0.5); };
  const int64_t c = src.channels();
  const bool fits = [&] {
    auto ok = [&](double x, double y) {
      return std::fabs(x * a[0] + y * a[1] + a[2]) < 32768.0 && std::fabs(x * a[3] + y * a[4] + a[5]) < 32768.0;
    };
    const double w = static_cast<double>(out.width()), h = static_cast<double>(out.height());
    return ok(0, 0) && ok(w, h) && ok(0, h) && ok(w, 0);
  }();
  if (!fits) throw std::invalid_argument("affine_transform: nearest-neighbour matrix out of fixed-point range");
  const int a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4]);
  int a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5);
  int a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5);
  for (int64_t y = 0; y < out.height(); ++y) {
    int xx = a2, yy = a5;
    uint8_t* o = out.row(y);
    for (int64_t x = 0; x < out.width(); ++x) {
      const int xin = xx >> 16;
      if (xin >= 0 && xin < src.width()) {
        const int yin = yy >> 16;
        if (yin >= 0 && yin < src.height()) {
          for (int64_t b = 0; b < c; ++b) o[x * c + b] = src.at(yin, xin, b);
        }
      }
      xx += a0;
      yy += a3;
    }
    a2 += a1;
    a5 += a4;
  }
  return out;
}

}  // namespace

Image affine_transform(const Image& src, const AffineMatrix& m, Interpolation interpolation,
                       const std::vector<uint8_t>& fill) {
  if (fill.empty()) throw std::invalid_argument("affine_transform: empty fill colour");
  const int64_t c = src.channels();
  Image out(src.height(), src.width(), c);
  for (int64_t i = 0; i < out.height() * out.width(); ++i) {
    for (int64_t b = 0; b < c; ++b) out.data()[i * c + b] = fill[std::min<size_t>(b, fill.size() - 1)];
  }
  if (interpolation == Interpolation::kNearest) return affine_nearest(src, m, std::move(out));
  if (interpolation != Interpolation::kBilinear && interpolation != Interpolation::kBicubic) {
    throw std::invalid_argument("affine_transform: only nearest, bilinear and bicubic are supported, not " +
                                to_string(interpolation));
  }
  const Sampler s{src, src.width(), src.height(), c};
  const bool cubic_filter = interpolation == Interpolation::kBicubic;
  for (int64_t y = 0; y < out.height(); ++y) {
    uint8_t* o = out.row(y);
    const double yc = y + 0.5;
    for (int64_t x = 0; x < out.width(); ++x) {
      const double xc = x + 0.5;
      const double xin = m[0] * xc + m[1] * yc + m[2];
      const double yin = m[3] * xc + m[4] * yc + m[5];
      if (cubic_filter) {
        s.bicubic(xin, yin, o + x * c);
      } else {
        s.bilinear(xin, yin, o + x * c);
      }
    }
  }
  return out;
}

AffineMatrix rotation_matrix(double degrees, int64_t width, int64_t height) {
  const double angle = -(py_mod(degrees, 360.0) * (M_PI / 180.0));
  AffineMatrix m{round15(std::cos(angle)), round15(std::sin(angle)), 0.0,
                 round15(-std::sin(angle)), round15(std::cos(angle)), 0.0};
  const double cx = static_cast<double>(width) / 2, cy = static_cast<double>(height) / 2;
  m[2] = m[0] * -cx + m[1] * -cy + m[2];
  m[5] = m[3] * -cx + m[4] * -cy + m[5];
  m[2] += cx;
  m[5] += cy;
  return m;
}

Image rotate(const Image& src, double degrees, Interpolation interpolation, const std::vector<uint8_t>& fill) {
  const double angle = py_mod(degrees, 360.0);
  const int64_t w = src.width(), h = src.height(), c = src.channels();
  if (angle == 0) return src.clone();
  const bool quarter = (angle == 90 || angle == 270) && w == h;
  if (angle == 180 || quarter) {  // Pillow transposes exactly
    Image out(h, w, c);
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        int64_t sy = h - 1 - y, sx = w - 1 - x;  // 180
        if (angle == 90) sy = x, sx = w - 1 - y;
        if (angle == 270) sy = h - 1 - x, sx = y;
        for (int64_t b = 0; b < c; ++b) out.at(y, x, b) = src.at(sy, sx, b);
      }
    }
    return out;
  }
  return affine_transform(src, rotation_matrix(degrees, w, h), interpolation, fill);
}

}  // namespace focal::data
