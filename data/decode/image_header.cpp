#include "data/decode/image_header.h"

#include "data/decode/byte_order.h"
#include "data/decode/image_decoder.h"

#include <cstring>
#include <limits>
#include <string>

namespace focal::data {
namespace {

bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t n) {
  return size >= n && std::memcmp(data, magic, n) == 0;
}

// BITMAPFILEHEADER (14 bytes), then the DIB header: its size, then the width and height, 16-bit in the OS/2
// core header (12 bytes), else 32-bit signed (a negative height is a top-down image). OpenCV reads no other
// header sizes.
DeclaredSize bmp_size(const uint8_t* data, size_t size) {
  if (size < 26) throw DecodeError("BMP: header truncated");
  const uint32_t header = read_u32(data + 14, true);
  DeclaredSize d{"BMP"};
  if (header == 12) {
    d.width = read_u16(data + 18, true);
    d.height = read_u16(data + 20, true);
  } else if (header >= 36) {
    d.width = static_cast<int32_t>(read_u32(data + 18, true));
    const int64_t height = static_cast<int32_t>(read_u32(data + 22, true));
    d.height = height < 0 ? -height : height;
  } else {
    throw DecodeError("BMP: unsupported header size " + std::to_string(header));
  }
  if (d.width <= 0 || d.height <= 0) throw DecodeError("BMP: invalid image size in the header");
  return d;
}

// Netpbm P1-P6: the magic, then width and height as decimal numbers between whitespace and # comments, read
// the way OpenCV's decoder reads them (a size it would read differently could bypass the cap).
DeclaredSize pnm_size(const uint8_t* data, size_t size) {
  size_t at = 2;
  auto number = [&]() -> int64_t {
    while (at < size) {
      if (data[at] == '#') {
        while (at < size && data[at] != '\n' && data[at] != '\r') ++at;
      } else if (is_space(data[at])) {
        ++at;
      } else {
        break;
      }
    }
    if (at >= size || data[at] < '0' || data[at] > '9') throw DecodeError("PNM: malformed header");
    int64_t value = 0;
    constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max() / 16;  // beyond any cap
    for (; at < size && data[at] >= '0' && data[at] <= '9'; ++at) {
      value = value >= kSaturated / 10 ? kSaturated : value * 10 + (data[at] - '0');
    }
    // As OpenCV's reader, the byte after the digits ends the number and is consumed whatever it is: in
    // "30000#30000\n1" OpenCV reads a height of 30000 where skipping a comment would read 1 (found by
    // fuzz_image_header; such a header would slip a bomb past the cap).
    ++at;
    return value;
  };
  DeclaredSize d{"PNM"};
  d.width = number();
  d.height = number();
  if (d.width <= 0 || d.height <= 0) throw DecodeError("PNM: zero image size in the header");
  return d;
}

// Classic TIFF: the byte order, 42, the offset of the first directory (the page OpenCV decodes), then its
// entries. ImageWidth (256) and ImageLength (257) size the image, TileWidth (322) and TileLength (323) the
// buffer of a tiled one. A tag given twice counts once, at its first entry in file order: libtiff ignores
// the later copies, so reading the last one would let "width 30000, width 1" pass the cap as 1 wide
// (checked against Debian's OpenCV 4.6 with libtiff 4.5).
DeclaredSize tiff_size(const uint8_t* data, size_t size) {
  const bool little = data[0] == 'I';
  if (size < 8) throw DecodeError("TIFF: header truncated");
  if (read_u16(data + 2, little) == 43) throw DecodeError("TIFF: BigTIFF files are not read");
  const uint32_t ifd = read_u32(data + 4, little);
  if (ifd < 8 || ifd > size - 2) throw DecodeError("TIFF: first directory outside the file");
  const uint32_t entries = read_u16(data + ifd, little);
  if ((size - ifd - 2) / 12 < entries) throw DecodeError("TIFF: first directory truncated");
  DeclaredSize d{"TIFF"};
  int64_t* const field[] = {&d.width, &d.height, &d.tile_width, &d.tile_height};
  bool seen[] = {false, false, false, false};
  for (uint32_t i = 0; i < entries; ++i) {
    const uint8_t* e = data + ifd + 2 + 12 * static_cast<size_t>(i);
    const uint32_t tag = read_u16(e, little);
    const size_t k = tag == 256 ? 0 : tag == 257 ? 1 : tag == 322 ? 2 : tag == 323 ? 3 : 4;
    if (k == 4 || seen[k]) continue;
    seen[k] = true;
    const uint32_t type = read_u16(e + 2, little);
    int64_t value = 0;
    if (type == 3) {  // SHORT
      value = read_u16(e + 8, little);
    } else if (type == 4) {  // LONG
      value = read_u32(e + 8, little);
    } else {
      throw DecodeError("TIFF: tag " + std::to_string(tag) + " has type " + std::to_string(type) +
                        ", not SHORT or LONG");
    }
    *field[k] = value;
  }
  if (d.width <= 0 || d.height <= 0) throw DecodeError("TIFF: no image size in the first directory");
  return d;
}

// RIFF container, "WEBP", then the first chunk: VP8 (lossy: 14-bit sizes after the start code), VP8L
// (lossless: 14-bit sizes minus one) or VP8X (extended: the 24-bit canvas size minus one).
DeclaredSize webp_size(const uint8_t* data, size_t size) {
  const uint8_t* chunk = data + 12;
  const bool lossless = size >= 16 && std::memcmp(chunk, "VP8L", 4) == 0;
  if (size < (lossless ? 25 : 30)) throw DecodeError("WebP: header truncated");
  DeclaredSize d{"WebP"};
  if (std::memcmp(chunk, "VP8 ", 4) == 0) {
    if (data[23] != 0x9d || data[24] != 0x01 || data[25] != 0x2a)
      throw DecodeError("WebP: bad VP8 start code");
    d.width = read_u16(data + 26, true) & 0x3fff;
    d.height = read_u16(data + 28, true) & 0x3fff;
  } else if (lossless) {
    if (data[20] != 0x2f) throw DecodeError("WebP: bad VP8L signature");
    const uint32_t bits = read_u32(data + 21, true);
    d.width = (bits & 0x3fff) + 1;
    d.height = ((bits >> 14) & 0x3fff) + 1;
  } else if (std::memcmp(chunk, "VP8X", 4) == 0) {
    d.width = (data[24] | (data[25] << 8) | (data[26] << 16)) + 1;
    d.height = (data[27] | (data[28] << 8) | (data[29] << 16)) + 1;
  } else {
    throw DecodeError("WebP: first chunk is not VP8, VP8L or VP8X");
  }
  if (d.width <= 0 || d.height <= 0) throw DecodeError("WebP: zero image size in the header");
  return d;
}

}  // namespace

DeclaredSize read_declared_size(const uint8_t* data, size_t size) {
  if (starts_with(data, size, "BM", 2)) return bmp_size(data, size);
  // As OpenCV's signature check: P1-P6 and a white-space character.
  if (size >= 3 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6' && is_space(data[2])) {
    return pnm_size(data, size);
  }
  if (starts_with(data, size, "II*\0", 4) || starts_with(data, size, "MM\0*", 4) ||
      starts_with(data, size, "II+\0", 4) || starts_with(data, size, "MM\0+", 4)) {
    return tiff_size(data, size);
  }
  if (size >= 12 && std::memcmp(data, "RIFF", 4) == 0 && std::memcmp(data + 8, "WEBP", 4) == 0) {
    return webp_size(data, size);
  }
  throw DecodeError("not a JPEG, PNG, BMP, PPM/PGM/PBM, TIFF or WebP file (other formats are not read)");
}

}  // namespace focal::data
