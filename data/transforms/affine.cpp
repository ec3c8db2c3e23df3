#include "data/transforms/affine.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
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
  bool has_row(int64_t y) const { return y >= 0 && y < h; }

  // The four rows of a cubic interpolation around row yf; a row outside the image repeats the previous one,
  // as in Pillow.
  std::array<const uint8_t*, 4> cubic_rows(int64_t yf) const {
    std::array<const uint8_t*, 4> r{};
    r[0] = im.row(yclip(yf - 1));
    for (int64_t k = 1; k < 4; ++k) r[k] = has_row(yf + k - 1) ? im.row(yf + k - 1) : r[k - 1];
    return r;
  }
  // The two rows of a linear interpolation at row yf; the second repeats the first outside the image.
  std::array<const uint8_t*, 2> linear_rows(int64_t yf) const {
    const uint8_t* r0 = im.row(yclip(yf));
    return {r0, has_row(yf + 1) ? im.row(yf + 1) : r0};
  }

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
      return std::fabs(x * a[0] + y * a[1] + a[2]) < 32768.0 &&
             std::fabs(x * a[3] + y * a[4] + a[5]) < 32768.0;
    };
    const double w = static_cast<double>(out.width()), h = static_cast<double>(out.height());
    return ok(0, 0) && ok(w, h) && ok(0, h) && ok(w, 0);
  }();
  if (!fits)
    throw std::invalid_argument("affine_transform: nearest-neighbour matrix out of fixed-point range");
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

// AVX2 versions for RGB: the three channels (and one ignored lane) go through the same double-precision
// operations in the same order as the scalar code, so the results are identical.
__attribute__((target("avx2"))) inline __m256d load_rgb(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);  // the fourth byte is the next pixel's (or padding): its lane is ignored
  return _mm256_cvtepi32_pd(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(v)));
}

__attribute__((target("avx2"))) inline __m256d cubic4(__m256d v1, __m256d v2, __m256d v3, __m256d v4,
                                                      __m256d d) {
  const __m256d two = _mm256_set1_pd(2.0);
  const __m256d p2 = _mm256_sub_pd(v3, v1);
  const __m256d p3 = _mm256_sub_pd(_mm256_add_pd(_mm256_mul_pd(two, _mm256_sub_pd(v1, v2)), v3), v4);
  const __m256d p4 = _mm256_add_pd(_mm256_sub_pd(_mm256_sub_pd(v2, v1), v3), v4);
  return _mm256_add_pd(
      v2, _mm256_mul_pd(d, _mm256_add_pd(p2, _mm256_mul_pd(d, _mm256_add_pd(p3, _mm256_mul_pd(d, p4))))));
}

__attribute__((target("avx2"))) inline __m256d cubic_row(const uint8_t* r, const int64_t* xs, __m256d dx) {
  return cubic4(load_rgb(r + xs[0]), load_rgb(r + xs[1]), load_rgb(r + xs[2]), load_rgb(r + xs[3]), dx);
}

__attribute__((target("avx2"))) inline __m256d lerp4(__m256d a, __m256d b, __m256d d) {
  return _mm256_add_pd(a, _mm256_mul_pd(_mm256_sub_pd(b, a), d));
}

// Clamped (cubic) or plain (bilinear, never out of range) truncation to bytes, three lanes stored.
__attribute__((target("avx2"))) inline void store_rgb(uint8_t* out, __m256d v) {
  v = _mm256_min_pd(_mm256_max_pd(v, _mm256_setzero_pd()), _mm256_set1_pd(255.0));
  const __m128i i = _mm256_cvttpd_epi32(v);
  out[0] = static_cast<uint8_t>(_mm_cvtsi128_si32(i));
  out[1] = static_cast<uint8_t>(_mm_extract_epi32(i, 1));
  out[2] = static_cast<uint8_t>(_mm_extract_epi32(i, 2));
}

__attribute__((target("avx2"))) void affine_rgb_avx2(const Sampler& s, const AffineMatrix& m,
                                                     bool cubic_filter, Image& out) {
  for (int64_t y = 0; y < out.height(); ++y) {
    uint8_t* o = out.row(y);
    const double yc = y + 0.5;
    for (int64_t x = 0; x < out.width(); ++x) {
      const double xc = x + 0.5;
      double xin = m[0] * xc + m[1] * yc + m[2];
      double yin = m[3] * xc + m[4] * yc + m[5];
      if (xin < 0.0 || xin >= s.w || yin < 0.0 || yin >= s.h) continue;
      xin -= 0.5;
      yin -= 0.5;
      const int xf = floor_int(xin), yf = floor_int(yin);
      const __m256d dx = _mm256_set1_pd(xin - xf), dy = _mm256_set1_pd(yin - yf);
      if (cubic_filter) {
        const int64_t xs[4] = {s.xclip(xf - 1) * 3, s.xclip(xf) * 3, s.xclip(xf + 1) * 3,
                               s.xclip(xf + 2) * 3};
        const __m256d v1 = cubic_row(s.im.row(s.yclip(yf - 1)), xs, dx);
        const __m256d v2 = (yf >= 0 && yf < s.h) ? cubic_row(s.im.row(yf), xs, dx) : v1;
        const __m256d v3 = (yf + 1 >= 0 && yf + 1 < s.h) ? cubic_row(s.im.row(yf + 1), xs, dx) : v2;
        const __m256d v4 = (yf + 2 >= 0 && yf + 2 < s.h) ? cubic_row(s.im.row(yf + 2), xs, dx) : v3;
        store_rgb(o + x * 3, cubic4(v1, v2, v3, v4, dy));
      } else {
        const int64_t x0 = s.xclip(xf) * 3, x1 = s.xclip(xf + 1) * 3;
        const uint8_t* r0 = s.im.row(s.yclip(yf));
        const __m256d v1 = lerp4(load_rgb(r0 + x0), load_rgb(r0 + x1), dx);
        __m256d v2 = v1;
        if (yf + 1 >= 0 && yf + 1 < s.h) {
          const uint8_t* r1 = s.im.row(yf + 1);
          v2 = lerp4(load_rgb(r1 + x0), load_rgb(r1 + x1), dx);
        }
        store_rgb(o + x * 3, lerp4(v1, v2, dy));
      }
    }
  }
}

__attribute__((target("avx2"))) void shear_rows_rgb_avx2(const Sampler& s, const AffineMatrix& m,
                                                         bool cubic_filter, Image& out) {
  for (int64_t y = 0; y < out.height(); ++y) {
    uint8_t* o = out.row(y);
    const uint8_t* r = s.im.row(y);
    const double yc = y + 0.5;
    for (int64_t x = 0; x < out.width(); ++x) {
      double xin = m[0] * (x + 0.5) + m[1] * yc + m[2];
      if (xin < 0.0 || xin >= s.w) continue;
      xin -= 0.5;
      const int xf = floor_int(xin);
      const __m256d dx = _mm256_set1_pd(xin - xf);
      if (cubic_filter) {
        store_rgb(o + x * 3,
                  cubic4(load_rgb(r + s.xclip(xf - 1) * 3), load_rgb(r + s.xclip(xf) * 3),
                         load_rgb(r + s.xclip(xf + 1) * 3), load_rgb(r + s.xclip(xf + 2) * 3), dx));
      } else {
        store_rgb(o + x * 3, lerp4(load_rgb(r + s.xclip(xf) * 3), load_rgb(r + s.xclip(xf + 1) * 3), dx));
      }
    }
  }
}

__attribute__((target("avx2"))) void shear_columns_rgb_avx2(const Sampler& s, const AffineMatrix& m,
                                                            bool cubic_filter, Image& out) {
  for (int64_t y = 0; y < out.height(); ++y) {
    uint8_t* o = out.row(y);
    const double yc = y + 0.5;
    for (int64_t x = 0; x < out.width(); ++x) {
      double yin = m[3] * (x + 0.5) + m[4] * yc + m[5];
      if (yin < 0.0 || yin >= s.h) continue;
      yin -= 0.5;
      const int yf = floor_int(yin);
      const __m256d dy = _mm256_set1_pd(yin - yf);
      const int64_t i = x * 3;
      if (cubic_filter) {
        const auto r = s.cubic_rows(yf);
        store_rgb(o + i,
                  cubic4(load_rgb(r[0] + i), load_rgb(r[1] + i), load_rgb(r[2] + i), load_rgb(r[3] + i), dy));
      } else {
        const auto r = s.linear_rows(yf);
        store_rgb(o + i, lerp4(load_rgb(r[0] + i), load_rgb(r[1] + i), dy));
      }
    }
  }
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

// Rows only move sideways (x' = a x + b y + c, y' = y): per output pixel one interpolation along x.
Image shear_rows(const Sampler& s, const AffineMatrix& m, bool cubic_filter, Image out) {
  const int64_t c = s.c;
  for (int64_t y = 0; y < out.height(); ++y) {
    uint8_t* o = out.row(y);
    const uint8_t* r = s.im.row(y);  // yin - 0.5 is exactly y, so the interpolation weight of row y is 1
    const double yc = y + 0.5;
    for (int64_t x = 0; x < out.width(); ++x) {
      double xin = m[0] * (x + 0.5) + m[1] * yc + m[2];
      if (xin < 0.0 || xin >= s.w) continue;
      xin -= 0.5;
      const int xf = floor_int(xin);
      const double dx = xin - xf;
      uint8_t* px = o + x * c;
      if (cubic_filter) {
        const int64_t x0 = s.xclip(xf - 1), x1 = s.xclip(xf), x2 = s.xclip(xf + 1), x3 = s.xclip(xf + 2);
        for (int64_t b = 0; b < c; ++b) {
          px[b] = clamp_cubic(cubic(r[x0 * c + b], r[x1 * c + b], r[x2 * c + b], r[x3 * c + b], dx));
        }
      } else {
        const int64_t x0 = s.xclip(xf), x1 = s.xclip(xf + 1);
        for (int64_t b = 0; b < c; ++b) {
          const int a0 = r[x0 * c + b], a1 = r[x1 * c + b];
          // Pillow's vertical lerp has weight 0 here and returns this value unchanged.
          px[b] = static_cast<uint8_t>(a0 + (a1 - a0) * dx);
        }
      }
    }
  }
  return out;
}

// Columns only move up or down (x' = x, y' = d x + e y + f): one interpolation along y per pixel.
Image shear_columns(const Sampler& s, const AffineMatrix& m, bool cubic_filter, Image out) {
  const int64_t c = s.c;
  for (int64_t y = 0; y < out.height(); ++y) {
    uint8_t* o = out.row(y);
    const double yc = y + 0.5;
    for (int64_t x = 0; x < out.width(); ++x) {
      double yin = m[3] * (x + 0.5) + m[4] * yc + m[5];
      if (yin < 0.0 || yin >= s.h) continue;
      yin -= 0.5;
      const int yf = floor_int(yin);
      const double dy = yin - yf;
      uint8_t* px = o + x * c;
      if (cubic_filter) {
        const auto r = s.cubic_rows(yf);
        for (int64_t b = 0; b < c; ++b) {
          const int64_t i = x * c + b;
          px[b] = clamp_cubic(cubic(r[0][i], r[1][i], r[2][i], r[3][i], dy));
        }
      } else {
        const auto r = s.linear_rows(yf);
        for (int64_t b = 0; b < c; ++b) {
          const int64_t i = x * c + b;
          const double v1 = r[0][i], v2 = r[1][i];
          px[b] = static_cast<uint8_t>(v1 + (v2 - v1) * dy);
        }
      }
    }
  }
  return out;
}

}  // namespace

Image affine_transform(const Image& src, const AffineMatrix& m, Interpolation interpolation,
                       const std::vector<uint8_t>& fill) {
  if (fill.empty()) throw std::invalid_argument("affine_transform: empty fill colour");
  const int64_t c = src.channels();
  Image out(src.height(), src.width(), c);
  uint8_t colour[4];
  for (int64_t b = 0; b < c; ++b) colour[b] = fill[std::min<size_t>(static_cast<size_t>(b), fill.size() - 1)];
  for (int64_t i = 0; i < out.height() * out.width(); ++i)
    std::memcpy(out.data() + i * c, colour, static_cast<size_t>(c));
  if (interpolation == Interpolation::kNearest) return affine_nearest(src, m, std::move(out));
  if (interpolation != Interpolation::kBilinear && interpolation != Interpolation::kBicubic) {
    throw std::invalid_argument("affine_transform: only nearest, bilinear and bicubic are supported, not " +
                                to_string(interpolation));
  }
  const Sampler s{src, src.width(), src.height(), c};
  const bool cubic_filter = interpolation == Interpolation::kBicubic;
  // Shears and translations along one axis keep the other coordinate on pixel centres: there Pillow's
  // interpolation weights are exactly (0, 1, 0, 0) and the result reduces to a 1-D interpolation.
  const bool rows_only = m[3] == 0 && m[4] == 1 && m[5] == 0;
  const bool columns_only = m[0] == 1 && m[1] == 0 && m[2] == 0;
  if (c == 3 && cpu_has_avx2()) {
    if (rows_only) {
      shear_rows_rgb_avx2(s, m, cubic_filter, out);
    } else if (columns_only) {
      shear_columns_rgb_avx2(s, m, cubic_filter, out);
    } else {
      affine_rgb_avx2(s, m, cubic_filter, out);
    }
    return out;
  }
  if (rows_only) return shear_rows(s, m, cubic_filter, std::move(out));
  if (columns_only) return shear_columns(s, m, cubic_filter, std::move(out));
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
  AffineMatrix m{round15(std::cos(angle)),  round15(std::sin(angle)), 0.0,
                 round15(-std::sin(angle)), round15(std::cos(angle)), 0.0};
  const double cx = static_cast<double>(width) / 2, cy = static_cast<double>(height) / 2;
  m[2] = m[0] * -cx + m[1] * -cy + m[2];
  m[5] = m[3] * -cx + m[4] * -cy + m[5];
  m[2] += cx;
  m[5] += cy;
  return m;
}

Image rotate(const Image& src, double degrees, Interpolation interpolation,
             const std::vector<uint8_t>& fill) {
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
