#include "data/decode/png_decode.h"

#include "data/decode/byte_order.h"
#include "data/decode/image_decoder.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace focal::data {
namespace {

struct PngSource {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char error[200];
};

// libpng reports errors by longjmp; these callbacks hold no objects with destructors.
void png_read_memory(png_structp png, png_bytep out, png_size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (src->size - src->pos < n) png_error(png, "file is truncated");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

void png_on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->error, sizeof(src->error), "%s", message);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}

// The two setjmp frames below hold only trivially destructible locals, so libpng's longjmp is safe.
bool read_header(png_structp png, png_infop info, PngSource* src) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, src, png_read_memory);
  png_read_info(png, info);
  const int color_type = png_get_color_type(png, info);
  png_set_strip_16(png);  // Pillow keeps the high byte of 16-bit RGB samples
  png_set_strip_alpha(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return true;
}

bool read_pixels(png_structp png, png_infop info, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

// libpng allocates an ancillary chunk (sPLT, text, iCCP...) at the length its header declares before reading
// it, even after warning that the length is too large: a 192-byte file declaring a 1.7 GB sPLT chunk made it
// allocate 1.7 GB (found by fuzz_png). The whole file is in memory, so every chunk up to IEND is checked to
// lie inside it first; that bounds every such allocation by the file's size.
void check_chunks(const uint8_t* data, size_t size) {
  constexpr size_t kChunkOverhead = 12;  // length, type, CRC
  if (size < 8) throw DecodeError("PNG: missing signature");
  for (size_t at = 8;;) {
    if (size - at < kChunkOverhead)
      throw DecodeError("PNG: file is truncated (it ends inside a chunk header)");
    const uint32_t length = read_u32(data + at, /*little=*/false);
    std::string type(reinterpret_cast<const char*>(data + at + 4), 4);
    for (char& c : type) {
      if (c < 0x21 || c > 0x7E) c = '?';
    }
    if (length > size - at - kChunkOverhead) {
      throw DecodeError("PNG: the " + type + " chunk declares " + std::to_string(length) +
                        " bytes, more than the " + std::to_string(size - at - kChunkOverhead) +
                        " left in the file");
    }
    if (type == "IEND") return;
    at += kChunkOverhead + length;
  }
}

}  // namespace

void png_size(const uint8_t* data, size_t size, int64_t* width, int64_t* height) {
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size < 24 || std::memcmp(data, kSignature, 8) != 0 || std::memcmp(data + 12, "IHDR", 4) != 0) {
    throw DecodeError("PNG: missing signature or IHDR chunk");
  }
  *width = read_u32(data + 16, /*little=*/false);
  *height = read_u32(data + 20, /*little=*/false);
  if (*width <= 0 || *height <= 0) throw DecodeError("PNG: zero image size in IHDR");
}

Image decode_png(const uint8_t* data, size_t size, int64_t channels) {
  check_chunks(data, size);
  PngSource src{data, size, 0, {0}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
  if (png == nullptr) throw DecodeError("PNG: cannot create a libpng reader");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || !read_header(png, info, &src)) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw DecodeError(std::string("PNG: ") + src.error);
  }
  Image decoded(png_get_image_height(png, info), png_get_image_width(png, info), png_get_channels(png, info));
  std::vector<png_bytep> rows(static_cast<size_t>(decoded.height()));
  for (int64_t y = 0; y < decoded.height(); ++y) rows[y] = decoded.row(y);
  const bool ok = read_pixels(png, info, rows.data());
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) throw DecodeError(std::string("PNG: ") + src.error);

  if (decoded.channels() == channels) return decoded;
  return channels == 1 ? rgb_to_gray(decoded) : gray_to_rgb(decoded);
}

}  // namespace focal::data
