// Fuzz target: PNG decoding through libpng (header probe, palette, 16-bit, alpha, gray and RGB output).
// Inputs that are not PNG are left out. Promise checked: pixels or a DecodeError.
#include <cstdint>

#include "data/decode/png_decode.h"
#include "tests/fuzz/fuzz_image_common.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace focal::data;
  if (size < 2 || sniff_format(data, size) != ImageFormat::kPng) return 0;
  static ImageDecoder decoder(focal::fuzz::kFuzzMaxPixels);
  try {
    decoder.probe(data, size);
  } catch (const DecodeError&) {
  }
  try {
    volatile unsigned s =
        focal::fuzz::pixel_sum(decoder.decode(data, size, focal::fuzz::channels_of(data[size - 1])));
    (void)s;
  } catch (const DecodeError&) {
  }
  return 0;
}
