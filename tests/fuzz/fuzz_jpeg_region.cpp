// Fuzz target: the partial JPEG decode (a window of the image through libjpeg's crop and skip-scanline
// calls), as the training transforms use it. The window and the scale come from the input's last 5 bytes,
// so windows inside, across and outside the image are all tried. Promise checked: the window's pixels or
// a DecodeError.
#include <cstdint>

#include "tests/fuzz/fuzz_image_common.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace focal::data;
  if (size < 8 || sniff_format(data, size) != ImageFormat::kJpeg) return 0;
  static ImageDecoder decoder(focal::fuzz::kFuzzMaxPixels);
  const uint8_t* k = data + size - 5;
  const int64_t scale = focal::fuzz::scale_of(k[4]);
  try {
    // A window inside the scaled image (the transforms never ask for another; one outside is a caller's
    // error, std::invalid_argument), placed and sized by four bytes.
    const ImageInfo info = decoder.probe(data, size);
    const int64_t w = (info.width + scale - 1) / scale, h = (info.height + scale - 1) / scale;
    const int64_t x = k[0] * w / 256, y = k[1] * h / 256;
    const Rect region{x, y, 1 + k[2] * (w - x - 1) / 255, 1 + k[3] * (h - y - 1) / 255};
    const DecodedWindow window =
        decoder.decode_window(data, size, focal::fuzz::channels_of(k[4]), scale, region);
    volatile unsigned s = focal::fuzz::pixel_sum(window.image);
    (void)s;
  } catch (const DecodeError&) {
  }
  return 0;
}
