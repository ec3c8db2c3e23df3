#include "data/transforms/resample_kernels.h"

#include <immintrin.h>

#include <algorithm>

namespace focal::data {
namespace {

constexpr int32_t kHalf = 1 << (kResamplePrecisionBits - 1);

inline uint8_t clip8(int32_t v) {
  v >>= kResamplePrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

template <int C>
void horizontal_scalar(const ImageView& in, int64_t row0, const ResampleWeights& w, Image& out) {
  const int64_t out_w = out.width();
  for (int64_t yy = 0; yy < out.height(); ++yy) {
    const uint8_t* src = in.row(row0 + yy);
    uint8_t* o = out.row(yy);
    for (int64_t xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &w.weights[xx * w.ksize];
      const uint8_t* p = src + static_cast<int64_t>(w.first[xx]) * C;
      int32_t acc[C];
      for (int c = 0; c < C; ++c) acc[c] = kHalf;
      for (int32_t x = 0; x < w.count[xx]; ++x) {
        for (int c = 0; c < C; ++c) acc[c] += p[x * C + c] * k[x];
      }
      for (int c = 0; c < C; ++c) o[xx * C + c] = clip8(acc[c]);
    }
  }
}

void vertical_scalar(const ImageView& in, int64_t row0, const ResampleWeights& w, Image& out) {
  const int64_t n = out.width() * out.channels();
  std::vector<int32_t> acc(n);
  for (int64_t yy = 0; yy < out.height(); ++yy) {
    const int32_t* k = &w.weights[yy * w.ksize];
    std::fill(acc.begin(), acc.end(), kHalf);
    for (int32_t y = 0; y < w.count[yy]; ++y) {
      const uint8_t* src = in.row(row0 + w.first[yy] + y);
      for (int64_t i = 0; i < n; ++i) acc[i] += src[i] * k[y];
    }
    uint8_t* o = out.row(yy);
    for (int64_t i = 0; i < n; ++i) o[i] = clip8(acc[i]);
  }
}

// RGB: two taps per step, each pixel widened to four int32 lanes (the fourth lane is ignored).
__attribute__((target("avx2"))) void horizontal_rgb_avx2(const ImageView& in, int64_t row0,
                                                         const ResampleWeights& w, Image& out) {
  const __m128i spread = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i pair_index = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
  const int64_t out_w = out.width();
  for (int64_t yy = 0; yy < out.height(); ++yy) {
    const uint8_t* src = in.row(row0 + yy);
    uint8_t* o = out.row(yy);
    for (int64_t xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &w.weights[xx * w.ksize];
      const uint8_t* p = src + static_cast<int64_t>(w.first[xx]) * 3;
      const int32_t n = w.count[xx];
      __m256i acc = _mm256_setzero_si256();
      for (int32_t x = 0; x < n; x += 2) {
        const __m128i px =
            _mm_shuffle_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + x * 3)), spread);
        const __m256i kk = _mm256_permutevar8x32_epi32(
            _mm256_castsi128_si256(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(k + x))), pair_index);
        acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(px), kk));
      }
      __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
      sum = _mm_srai_epi32(_mm_add_epi32(sum, _mm_set1_epi32(kHalf)), kResamplePrecisionBits);
      const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(sum, sum), sum);
      const int32_t v = _mm_cvtsi128_si32(bytes);
      o[xx * 3 + 0] = static_cast<uint8_t>(v);
      o[xx * 3 + 1] = static_cast<uint8_t>(v >> 8);
      o[xx * 3 + 2] = static_cast<uint8_t>(v >> 16);
    }
  }
}

// Grayscale: eight taps per step.
__attribute__((target("avx2"))) void horizontal_gray_avx2(const ImageView& in, int64_t row0,
                                                          const ResampleWeights& w, Image& out) {
  const int64_t out_w = out.width();
  for (int64_t yy = 0; yy < out.height(); ++yy) {
    const uint8_t* src = in.row(row0 + yy);
    uint8_t* o = out.row(yy);
    for (int64_t xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &w.weights[xx * w.ksize];
      const uint8_t* p = src + w.first[xx];
      const int32_t n = w.count[xx];
      int32_t x = 0;
      __m256i acc = _mm256_setzero_si256();
      for (; x + 8 <= n; x += 8) {
        const __m256i px = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + x)));
        acc = _mm256_add_epi32(
            acc, _mm256_mullo_epi32(px, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(k + x))));
      }
      __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
      int32_t total = _mm_cvtsi128_si32(s) + kHalf;
      for (; x < n; ++x) total += p[x] * k[x];
      o[xx] = clip8(total);
    }
  }
}

__attribute__((target("avx2"))) inline __m256i widen_mul(const uint8_t* p, __m256i k) {
  return _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))), k);
}

// 32 bytes of a row per step, accumulated in registers over all taps.
__attribute__((target("avx2"))) void vertical_avx2(const ImageView& in, int64_t row0,
                                                   const ResampleWeights& w, Image& out) {
  const int64_t n = out.width() * out.channels();
  const __m256i half = _mm256_set1_epi32(kHalf);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  std::vector<const uint8_t*> rows(static_cast<size_t>(w.ksize));
  for (int64_t yy = 0; yy < out.height(); ++yy) {
    const int32_t* k = &w.weights[yy * w.ksize];
    const int32_t taps = w.count[yy];
    for (int32_t y = 0; y < taps; ++y) rows[y] = in.row(row0 + w.first[yy] + y);
    uint8_t* o = out.row(yy);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
      __m256i a0 = half, a1 = half, a2 = half, a3 = half;
      for (int32_t y = 0; y < taps; ++y) {
        const __m256i kk = _mm256_set1_epi32(k[y]);
        const uint8_t* p = rows[y] + i;
        a0 = _mm256_add_epi32(a0, widen_mul(p, kk));
        a1 = _mm256_add_epi32(a1, widen_mul(p + 8, kk));
        a2 = _mm256_add_epi32(a2, widen_mul(p + 16, kk));
        a3 = _mm256_add_epi32(a3, widen_mul(p + 24, kk));
      }
      const __m256i lo = _mm256_packs_epi32(_mm256_srai_epi32(a0, kResamplePrecisionBits),
                                            _mm256_srai_epi32(a1, kResamplePrecisionBits));
      const __m256i hi = _mm256_packs_epi32(_mm256_srai_epi32(a2, kResamplePrecisionBits),
                                            _mm256_srai_epi32(a3, kResamplePrecisionBits));
      const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(lo, hi), order);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + i), bytes);
    }
    for (; i < n; ++i) {
      int32_t acc = kHalf;
      for (int32_t y = 0; y < taps; ++y) acc += rows[y][i] * k[y];
      o[i] = clip8(acc);
    }
  }
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

}  // namespace

void resample_horizontal(const ImageView& in, int64_t row0, const ResampleWeights& w, Image& out) {
  if (cpu_has_avx2()) {
    if (in.channels == 3) return horizontal_rgb_avx2(in, row0, w, out);
    if (in.channels == 1) return horizontal_gray_avx2(in, row0, w, out);
  }
  if (in.channels == 3) return horizontal_scalar<3>(in, row0, w, out);
  horizontal_scalar<1>(in, row0, w, out);
}

void resample_vertical(const ImageView& in, int64_t row0, const ResampleWeights& w, Image& out) {
  if (cpu_has_avx2()) return vertical_avx2(in, row0, w, out);
  vertical_scalar(in, row0, w, out);
}

}  // namespace focal::data
