#include "data/decode/jpeg_region.h"

#include "data/decode/image_decoder.h"

#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

namespace focal::data {
namespace {

struct ErrorState {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  bool premature_end;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<ErrorState*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  // Warnings (level -1) are tolerated like Pillow does, except a file that ends too early.
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    reinterpret_cast<ErrorState*>(cinfo->err)->premature_end = true;
  }
}

struct Geometry {
  int width, height, components;  // scaled output size; components of the output colour space
  int x0, y0, x1, y1;             // decoded window after libjpeg's alignment
  bool cmyk;
};

// Every libjpeg call happens inside these setjmp frames, which hold only trivially destructible locals.
bool start(jpeg_decompress_struct* ci, const uint8_t* data, size_t size, int denom, int channels,
           Geometry* g) {
  if (setjmp(reinterpret_cast<ErrorState*>(ci->err)->jump)) return false;
  jpeg_mem_src(ci, data, static_cast<unsigned long>(size));
  jpeg_read_header(ci, TRUE);
  g->cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
  if (g->cmyk) {
    ci->out_color_space = JCS_CMYK;
  } else if (ci->jpeg_color_space == JCS_GRAYSCALE && channels == 1) {
    ci->out_color_space = JCS_GRAYSCALE;
  } else {
    ci->out_color_space = JCS_RGB;
  }
  ci->scale_num = 1;
  ci->scale_denom = static_cast<unsigned>(denom);
  ci->dct_method = JDCT_ISLOW;
  ci->do_fancy_upsampling = TRUE;
  jpeg_start_decompress(ci);
  g->width = static_cast<int>(ci->output_width);
  g->height = static_cast<int>(ci->output_height);
  g->components = ci->output_components;
  return true;
}

bool crop_and_skip(jpeg_decompress_struct* ci, Geometry* g) {
  if (setjmp(reinterpret_cast<ErrorState*>(ci->err)->jump)) return false;
  JDIMENSION xoffset = static_cast<JDIMENSION>(g->x0);
  JDIMENSION width = static_cast<JDIMENSION>(g->x1 - g->x0);
  if (width < static_cast<JDIMENSION>(g->width)) jpeg_crop_scanline(ci, &xoffset, &width);
  g->x0 = static_cast<int>(xoffset);
  g->x1 = static_cast<int>(xoffset + width);
  if (g->y0 > 0) jpeg_skip_scanlines(ci, static_cast<JDIMENSION>(g->y0));
  return true;
}

bool read_rows(jpeg_decompress_struct* ci, uint8_t* out, size_t stride, int rows) {
  if (setjmp(reinterpret_cast<ErrorState*>(ci->err)->jump)) return false;
  for (int r = 0; r < rows; ++r) {
    JSAMPROW row = out + static_cast<size_t>(r) * stride;
    if (jpeg_read_scanlines(ci, &row, 1) != 1) return false;
  }
  return true;
}

uint8_t cmyk_channel(int stored_c, int stored_k) {
  const int t = (255 - stored_c) * stored_k + 128;
  const int v = stored_k - (((t >> 8) + t) >> 8);
  return static_cast<uint8_t>(v <= 0 ? 0 : (v < 256 ? v : 255));
}

}  // namespace

DecodedWindow decode_jpeg_window(const uint8_t* data, size_t size, int64_t channels, int64_t scale_denom,
                                 const Rect& region) {
  jpeg_decompress_struct ci;
  ErrorState err;
  std::memset(&err, 0, sizeof(err));
  ci.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_error;
  err.mgr.emit_message = on_message;
  jpeg_create_decompress(&ci);
  Geometry g{};
  auto fail = [&](const std::string& why) {
    jpeg_destroy_decompress(&ci);
    return DecodeError("JPEG: " + why);
  };
  if (!start(&ci, data, size, static_cast<int>(scale_denom), static_cast<int>(channels), &g))
    throw fail(err.message);
  if (region.x < 0 || region.y < 0 || region.width <= 0 || region.height <= 0 ||
      region.x + region.width > g.width || region.y + region.height > g.height) {
    jpeg_destroy_decompress(&ci);
    throw std::invalid_argument("decode_jpeg_window: region outside the " + std::to_string(g.width) + "x" +
                                std::to_string(g.height) + " image");
  }
  // One iMCU of margin keeps the upsampler's edge handling out of the region.
  const int margin = std::max(1, ci.max_h_samp_factor) * std::max(1, ci.min_DCT_scaled_size);
  g.x0 = std::max(0, static_cast<int>(region.x) - margin);
  g.x1 = std::min(g.width, static_cast<int>(region.x + region.width) + margin);
  g.y0 = static_cast<int>(region.y);
  g.y1 = static_cast<int>(region.y + region.height);
  if (!crop_and_skip(&ci, &g)) throw fail(err.message);

  const int rows = g.y1 - g.y0, cols = g.x1 - g.x0;
  Image raw(rows, cols, g.components);
  if (!read_rows(&ci, raw.data(), static_cast<size_t>(raw.stride()), rows)) {
    throw fail(err.message[0] != '\0' ? err.message : "cannot read scanlines");
  }
  const bool premature = err.premature_end;
  jpeg_abort_decompress(&ci);  // rows below the region are never decoded
  jpeg_destroy_decompress(&ci);
  if (premature) throw DecodeError("JPEG: Premature end of JPEG file");

  DecodedWindow w;
  w.x = g.x0;
  w.y = g.y0;
  w.full_width = g.width;
  w.full_height = g.height;
  if (g.cmyk) {
    Image rgb(rows, cols, 3);
    const int64_t n = static_cast<int64_t>(rows) * cols;
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* p = raw.data() + i * 4;
      for (int c = 0; c < 3; ++c) rgb.data()[i * 3 + c] = cmyk_channel(p[c], p[3]);
    }
    raw = std::move(rgb);
  }
  if (raw.channels() == channels) {
    w.image = std::move(raw);
  } else {
    w.image = channels == 1 ? rgb_to_gray(raw) : gray_to_rgb(raw);
  }
  return w;
}

}  // namespace focal::data
