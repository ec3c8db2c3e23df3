#pragma once
// The image fuzz targets' common part: decode through ImageDecoder (the path the data loader takes), with
// the channel count and the DCT scale taken from the input's last byte, and every decoded pixel read in
// instrumented code.
#include <cstddef>
#include <cstdint>

#include "data/decode/image_decoder.h"

namespace focal::fuzz {

// Pixel cap of the fuzz runs: images may declare anything, so the cap is what bounds each allocation.
inline constexpr int64_t kFuzzMaxPixels = int64_t{1} << 22;

// Sum of all pixel bytes (keeps the reads from being optimised away).
inline unsigned pixel_sum(const data::Image& img) {
  unsigned s = 0;
  const uint8_t* p = img.data();
  const int64_t n = img.height() * img.width() * img.channels();
  for (int64_t i = 0; i < n; ++i) s += p[i];
  return s;
}

// Channels 1 or 3 and scale 1, 2, 4 or 8 from one byte.
inline int64_t channels_of(uint8_t b) { return (b & 1) ? 1 : 3; }
inline int64_t scale_of(uint8_t b) { return int64_t{1} << ((b >> 1) & 3); }

}  // namespace focal::fuzz
