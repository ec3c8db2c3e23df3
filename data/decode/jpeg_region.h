#pragma once
// Decoding of the part of a JPEG that a crop needs, through libjpeg-turbo's libjpeg API: rows below the
// crop are never entropy-decoded, rows above are skipped without IDCT (jpeg_skip_scanlines) and columns
// outside are not transformed (jpeg_crop_scanline). TurboJPEG 2.1 (Debian 12) has no partial decoding;
// tj3SetCroppingRegion arrived with 3.0. Pixels equal those of a full decode: the window is widened by one
// iMCU on each side so that fancy upsampling at its edges never reaches the requested region.
#include "data/decode/image.h"

#include <cstdint>

namespace focal::data {

// A decoded window: `image` holds the pixels of [x, x + width) x [y, y + height) of the (scaled) image.
struct DecodedWindow {
  Image image;
  int64_t x = 0;
  int64_t y = 0;
  int64_t full_width = 0;  // size of the whole scaled image
  int64_t full_height = 0;
};

// `region` is in the coordinates of the image scaled by 1/scale_denom (1, 2, 4, 8). channels: 1 or 3
// (Pillow's convert semantics, CMYK inverted as Adobe writes it). Throws DecodeError for corrupt data or a
// file that ends before the region does.
DecodedWindow decode_jpeg_window(const uint8_t* data, size_t size, int64_t channels, int64_t scale_denom,
                                 const Rect& region);

}  // namespace focal::data
