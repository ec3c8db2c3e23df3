#pragma once
// Decodes encoded image files to 8-bit RGB or grayscale Images. JPEG through libjpeg-turbo's TurboJPEG API
// (optionally at a reduced DCT scale), PNG through libpng, BMP, PPM/PGM, TIFF and WebP through OpenCV once
// the size their header declares is within the cap (image_header.h); other formats are refused. Colour
// handling follows Pillow's `Image.open(f).convert("RGB" | "L")`, which torchvision's ImageFolder applies:
// grayscale is replicated, CMYK uses Pillow's inverted (Adobe) convention, alpha is dropped (not composited).
#include "data/decode/image.h"
#include "data/decode/jpeg_region.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace focal::data {

// A file that cannot be decoded: corrupt, truncated, or not an image.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ImageFormat { kJpeg, kPng, kOther };

// Images with more pixels than this are refused before their buffer is allocated: Pillow's
// Image.MAX_IMAGE_PIXELS (its decompression-bomb guard), about 0.5 GiB of RGB. A header declaring
// 65535x65535 would otherwise cost 12 GiB per decode.
inline constexpr int64_t kDefaultMaxImagePixels = 178956970;

// What can be learned from the header alone. width/height are 0 when the format needs a full decode.
struct ImageInfo {
  ImageFormat format = ImageFormat::kOther;
  int64_t width = 0;
  int64_t height = 0;
};

ImageFormat sniff_format(const uint8_t* data, size_t size);

// Owns a TurboJPEG handle, which must not be shared between threads: use one decoder per worker.
class ImageDecoder {
 public:
  // `max_pixels` (width x height of the file's full-size image): larger images throw DecodeError
  // ("decompression bomb") from the header alone, before any pixel buffer exists.
  explicit ImageDecoder(int64_t max_pixels = kDefaultMaxImagePixels);
  ~ImageDecoder();
  ImageDecoder(const ImageDecoder&) = delete;
  ImageDecoder& operator=(const ImageDecoder&) = delete;

  // Header only for JPEG and PNG. Throws DecodeError on a malformed header.
  ImageInfo probe(const uint8_t* data, size_t size);
  // Full decode to `channels` (1 or 3) channels.
  Image decode(const uint8_t* data, size_t size, int64_t channels);
  // JPEG decoded with the IDCT scaled by 1/scale_denom (1, 2, 4 or 8): ceil(width / denom) pixels wide.
  // Other formats ignore the scale.
  Image decode(const uint8_t* data, size_t size, int64_t channels, int64_t scale_denom);
  // The part of the image covering `region` (coordinates of the image scaled by 1/scale_denom). JPEG
  // decodes only that part (decode_jpeg_window); other formats decode everything and ignore the scale.
  DecodedWindow decode_window(const uint8_t* data, size_t size, int64_t channels, int64_t scale_denom,
                              const Rect& region);

 private:
  Image decode_jpeg(const uint8_t* data, size_t size, int64_t channels, int64_t scale_denom);
  // The JPEG header through TurboJPEG; on an error the handle is renewed before the DecodeError propagates.
  void read_header(const uint8_t* data, size_t size, int* w, int* h, int* subsamp, int* colorspace);
  void renew_jpeg_handle();
  void check_pixels(int64_t width, int64_t height) const;
  void* tj_ = nullptr;  // tjhandle
  int64_t max_pixels_;
};

// Pillow's RGB -> L (ITU-R 601-2 luma in 16-bit fixed point).
Image rgb_to_gray(const Image& rgb);
// Replicates the single channel three times.
Image gray_to_rgb(const Image& gray);

}  // namespace focal::data
