// Fuzz target: the header reader of the formats handed to OpenCV (data/decode/image_header.cpp: BMP,
// PPM/PGM/PBM, TIFF, WebP) and the decode behind it. JPEG and PNG are left to their own targets. Promises
// checked: a DecodeError or a size; a decoded image has exactly the size its header declared, transposed only
// by a TIFF's orientation (else the pixel cap, which acts on the declared size, could be bypassed); never a
// crash.
#include <cstdint>
#include <string>

#include "data/decode/image_header.h"
#include "tests/fuzz/fuzz_image_common.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace focal::data;
  if (size < 2 || sniff_format(data, size) != ImageFormat::kOther) return 0;
  // A small cap: OpenCV allocates from the header, and most mutated headers declare large images.
  static ImageDecoder decoder(int64_t{1} << 16);
  DeclaredSize declared;
  try {
    declared = read_declared_size(data, size);
  } catch (const DecodeError&) {
    return 0;
  }
  if (declared.width <= 0 || declared.height <= 0) focal::fuzz::finding("a header read as a size of zero");
  try {
    const Image img = decoder.decode(data, size, focal::fuzz::channels_of(data[size - 1]));
    // OpenCV's TIFF decoder applies the Orientation tag even under IMREAD_IGNORE_ORIENTATION (as Pillow
    // does): 5-8 transpose the image. The pixel count, which the cap acts on, is the same (found by this
    // target in CI: a declared 8x4 decoded as 4x8).
    const bool transposed = std::string(declared.format) == "TIFF" && img.width() == declared.height &&
                            img.height() == declared.width;
    if ((img.width() != declared.width || img.height() != declared.height) && !transposed) {
      focal::fuzz::finding(std::string(declared.format) + " header declares " +
                           std::to_string(declared.width) + "x" + std::to_string(declared.height) +
                           ", OpenCV decoded " + std::to_string(img.width()) + "x" +
                           std::to_string(img.height()));
    }
    volatile unsigned s = focal::fuzz::pixel_sum(img);
    (void)s;
  } catch (const DecodeError&) {
  }
  return 0;
}
