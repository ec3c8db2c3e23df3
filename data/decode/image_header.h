#pragma once
// The size declared by the header of each format the decoder hands to OpenCV, read before OpenCV allocates
// anything, so that the pixel cap (DATA.MAX_IMAGE_PIXELS) refuses a decompression bomb of any format we read.
// The formats are those torchvision's ImageFolder lists besides JPEG and PNG: BMP, PPM/PGM/PBM (P1-P6),
// TIFF (classic, not BigTIFF) and WebP (lossy, lossless, extended). Any other content is refused: OpenCV's
// other decoders (OpenEXR, JPEG 2000, Radiance HDR, Sun raster, PAM, PFM, ...) never see untrusted bytes.
#include <cstddef>
#include <cstdint>

namespace focal::data {

struct DeclaredSize {
  const char* format = "";  // "BMP", "PNM", "TIFF", "WebP": for messages
  int64_t width = 0;
  int64_t height = 0;
  // A tiled TIFF's tile, which the decoder also allocates from the header (0 when not tiled).
  int64_t tile_width = 0;
  int64_t tile_height = 0;
};

// Throws DecodeError for a truncated or malformed header, or for content that is none of the formats above.
DeclaredSize read_declared_size(const uint8_t* data, size_t size);

}  // namespace focal::data
