#include "data/decode/image_decoder.h"

#include "data/decode/image_header.h"
#include "data/decode/png_decode.h"

#include <turbojpeg.h>
#include <opencv2/imgcodecs.hpp>

#include <cstring>
#include <string>

namespace focal::data {
namespace {

tjhandle handle(void* p) { return static_cast<tjhandle>(p); }

// Pillow reads every CMYK JPEG with Adobe's inverted polarity ("CMYK;I") and converts with
// R = (255 - K) - (C * (255 - K)) / 255 in its rounding; with the inversion that is in terms of the stored
// bytes c, k: R = k - round(255 - c) * k / 255.
inline uint8_t cmyk_channel(int stored_c, int stored_k) {
  const int nk = stored_k;
  const int t = (255 - stored_c) * nk + 128;
  const int v = nk - (((t >> 8) + t) >> 8);
  return static_cast<uint8_t>(v <= 0 ? 0 : (v < 256 ? v : 255));
}

Image cmyk_to_rgb(const uint8_t* cmyk, int64_t height, int64_t width) {
  Image out(height, width, 3);
  const int64_t n = height * width;
  uint8_t* o = out.data();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* p = cmyk + i * 4;
    o[i * 3 + 0] = cmyk_channel(p[0], p[3]);
    o[i * 3 + 1] = cmyk_channel(p[1], p[3]);
    o[i * 3 + 2] = cmyk_channel(p[2], p[3]);
  }
  return out;
}

// TurboJPEG 2.1 reports success for a header cut short (a warning), leaving the outputs unset: check them.
void read_jpeg_header(tjhandle tj, const uint8_t* data, size_t size, int* w, int* h, int* subsamp,
                      int* colorspace) {
  if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), w, h, subsamp, colorspace) != 0) {
    throw DecodeError(std::string("JPEG header: ") + tjGetErrorStr2(tj));
  }
  if (*w <= 0 || *h <= 0 || *subsamp < 0 || *colorspace < 0) {
    throw DecodeError(std::string("JPEG header: incomplete (") + tjGetErrorStr2(tj) + ")");
  }
}

Image decode_with_opencv(const uint8_t* data, size_t size, int64_t channels) {
  cv::Mat encoded(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
  // Pillow ignores EXIF orientation on open; so does this.
  const int flags = (channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR) | cv::IMREAD_IGNORE_ORIENTATION;
  cv::Mat img;
  try {
    img = cv::imdecode(encoded, flags);
  } catch (const cv::Exception& e) {
    throw DecodeError(std::string("OpenCV: ") + e.what());
  }
  if (img.empty()) throw DecodeError("not a decodable image (unknown format or corrupt data)");
  Image out(img.rows, img.cols, channels);
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* in = img.ptr<uint8_t>(y);
    uint8_t* o = out.row(y);
    if (channels == 1) {
      std::memcpy(o, in, static_cast<size_t>(img.cols));
    } else {
      for (int x = 0; x < img.cols; ++x) {  // BGR -> RGB
        o[x * 3 + 0] = in[x * 3 + 2];
        o[x * 3 + 1] = in[x * 3 + 1];
        o[x * 3 + 2] = in[x * 3 + 0];
      }
    }
  }
  return out;
}

}  // namespace

ImageFormat sniff_format(const uint8_t* data, size_t size) {
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::kJpeg;
  if (size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kOther;
}

ImageDecoder::ImageDecoder(int64_t max_pixels) : tj_(tjInitDecompress()), max_pixels_(max_pixels) {
  if (tj_ == nullptr)
    throw std::runtime_error(std::string("TurboJPEG: cannot create a decompressor: ") +
                             tjGetErrorStr2(nullptr));
}

ImageDecoder::~ImageDecoder() {
  if (tj_ != nullptr) tjDestroy(handle(tj_));
}

// TurboJPEG 2.1 leaves a handle unusable after some errors: once a header fails with "Unsupported marker
// type 0x20", every later header read on that handle fails with the same message, so one bad file in a
// worker's share failed every good file after it. After any error or warning the handle is replaced.
void ImageDecoder::renew_jpeg_handle() {
  tjDestroy(handle(tj_));
  tj_ = tjInitDecompress();
  if (tj_ == nullptr)
    throw std::runtime_error(std::string("TurboJPEG: cannot create a decompressor: ") +
                             tjGetErrorStr2(nullptr));
}

void ImageDecoder::read_header(const uint8_t* data, size_t size, int* w, int* h, int* subsamp,
                               int* colorspace) {
  try {
    read_jpeg_header(handle(tj_), data, size, w, h, subsamp, colorspace);
  } catch (const DecodeError&) {
    renew_jpeg_handle();
    throw;
  }
}

void ImageDecoder::check_pixels(int64_t width, int64_t height) const {
  int64_t pixels = 0;
  if (__builtin_mul_overflow(width, height, &pixels) || pixels > max_pixels_) {
    throw DecodeError("image of " + std::to_string(width) + "x" + std::to_string(height) +
                      " pixels exceeds the limit of " + std::to_string(max_pixels_) +
                      " (DATA.MAX_IMAGE_PIXELS; decompression bomb?)");
  }
}

ImageInfo ImageDecoder::probe(const uint8_t* data, size_t size) {
  ImageInfo info;
  info.format = sniff_format(data, size);
  if (info.format == ImageFormat::kJpeg) {
    int w = 0, h = 0, subsamp = -1, colorspace = -1;
    read_header(data, size, &w, &h, &subsamp, &colorspace);
    info.width = w;
    info.height = h;
  } else if (info.format == ImageFormat::kPng) {
    png_size(data, size, &info.width, &info.height);
  }
  return info;
}

Image ImageDecoder::decode(const uint8_t* data, size_t size, int64_t channels) {
  return decode(data, size, channels, 1);
}

Image ImageDecoder::decode(const uint8_t* data, size_t size, int64_t channels, int64_t scale_denom) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("ImageDecoder: channels must be 1 or 3");
  if (size == 0) throw DecodeError("empty file");
  switch (sniff_format(data, size)) {
    case ImageFormat::kJpeg:
      return decode_jpeg(data, size, channels, scale_denom);
    case ImageFormat::kPng: {
      int64_t w = 0, h = 0;
      png_size(data, size, &w, &h);
      check_pixels(w, h);
      return decode_png(data, size, channels);
    }
    case ImageFormat::kOther:
      break;
  }
  // OpenCV allocates from the header as it decodes: only formats whose header is read here reach it, and
  // their declared size (and a TIFF's tile) is checked first.
  const DeclaredSize declared = read_declared_size(data, size);
  check_pixels(declared.width, declared.height);
  if (declared.tile_width != 0 || declared.tile_height != 0)
    check_pixels(declared.tile_width, declared.tile_height);
  Image img = decode_with_opencv(data, size, channels);
  check_pixels(img.width(), img.height());
  return img;
}

DecodedWindow ImageDecoder::decode_window(const uint8_t* data, size_t size, int64_t channels,
                                          int64_t scale_denom, const Rect& region) {
  if (channels != 1 && channels != 3) throw std::invalid_argument("ImageDecoder: channels must be 1 or 3");
  if (sniff_format(data, size) == ImageFormat::kJpeg) {
    const ImageInfo info = probe(data, size);  // the header only: libjpeg allocates per row, TurboJPEG not
    check_pixels(info.width, info.height);
    return decode_jpeg_window(data, size, channels, scale_denom, region);
  }
  DecodedWindow w;
  w.image = decode(data, size, channels);
  w.full_width = w.image.width();
  w.full_height = w.image.height();
  return w;
}

Image ImageDecoder::decode_jpeg(const uint8_t* data, size_t size, int64_t channels, int64_t scale_denom) {
  if (scale_denom != 1 && scale_denom != 2 && scale_denom != 4 && scale_denom != 8) {
    throw std::invalid_argument("ImageDecoder: JPEG scale must be 1/1, 1/2, 1/4 or 1/8");
  }
  const auto jpeg_size = static_cast<unsigned long>(size);
  int w = 0, h = 0, subsamp = -1, colorspace = -1;
  read_header(data, size, &w, &h, &subsamp, &colorspace);
  check_pixels(w, h);
  const tjscalingfactor factor{1, static_cast<int>(scale_denom)};
  const int sw = TJSCALED(w, factor);
  const int sh = TJSCALED(h, factor);
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const bool gray_source = colorspace == TJCS_GRAY;
  // Colour sources are decoded to RGB even for 1 channel: Pillow's convert("L") works on RGB.
  const int pixel_format = cmyk ? TJPF_CMYK : (gray_source && channels == 1 ? TJPF_GRAY : TJPF_RGB);
  const int pixel_size = tjPixelSize[pixel_format];
  Image decoded;
  std::unique_ptr<uint8_t[]> cmyk_buffer;
  uint8_t* dst;
  if (cmyk) {
    cmyk_buffer.reset(new uint8_t[static_cast<size_t>(sw) * sh * 4]);
    dst = cmyk_buffer.get();
  } else {
    decoded = Image(sh, sw, pixel_size);
    dst = decoded.data();
  }
  tjhandle tj = handle(tj_);
  if (tjDecompress2(tj, data, jpeg_size, dst, sw, sw * pixel_size, sh, pixel_format, 0) != 0) {
    const std::string message = tjGetErrorStr2(tj);
    const bool fatal = tjGetErrorCode(tj) == TJERR_FATAL;
    renew_jpeg_handle();
    // Warnings (e.g. extraneous bytes) leave a usable image, as with Pillow; a premature end does not.
    if (fatal || message.find("Premature end") != std::string::npos) throw DecodeError("JPEG: " + message);
  }
  if (cmyk) decoded = cmyk_to_rgb(cmyk_buffer.get(), sh, sw);
  if (decoded.channels() == channels) return decoded;
  return channels == 1 ? rgb_to_gray(decoded) : gray_to_rgb(decoded);
}

Image rgb_to_gray(const Image& rgb) {
  Image out(rgb.height(), rgb.width(), 1);
  const int64_t n = rgb.height() * rgb.width();
  const uint8_t* in = rgb.data();
  uint8_t* o = out.data();
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t l = in[i * 3] * 19595u + in[i * 3 + 1] * 38470u + in[i * 3 + 2] * 7471u + 0x8000u;
    o[i] = static_cast<uint8_t>(l >> 16);
  }
  return out;
}

Image gray_to_rgb(const Image& gray) {
  Image out(gray.height(), gray.width(), 3);
  const int64_t n = gray.height() * gray.width();
  const uint8_t* in = gray.data();
  uint8_t* o = out.data();
  for (int64_t i = 0; i < n; ++i) o[i * 3] = o[i * 3 + 1] = o[i * 3 + 2] = in[i];
  return out;
}

}  // namespace focal::data
