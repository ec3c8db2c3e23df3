#pragma once
// PNG decoding with libpng: palette expanded, 16-bit samples cut to their high byte, alpha dropped.
#include "data/decode/image.h"

#include <cstdint>

namespace focal::data {

// Width and height from the IHDR chunk; throws DecodeError when the header is malformed.
void png_size(const uint8_t* data, size_t size, int64_t* width, int64_t* height);
// Decodes to 1 (Pillow's L) or 3 (RGB) channels; throws DecodeError.
Image decode_png(const uint8_t* data, size_t size, int64_t channels);

}  // namespace focal::data
