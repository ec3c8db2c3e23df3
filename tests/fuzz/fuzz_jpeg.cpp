// Fuzz target: JPEG decoding (TurboJPEG header probe, full decode at every DCT scale, grayscale and RGB,
// CMYK conversion). Inputs that are not JPEG are left out (other formats go to OpenCV, which is not
// ours). Promise checked: pixels or a DecodeError; never a crash, a sanitizer report, another exception.
#include <cstdint>

#include "tests/fuzz/fuzz_image_common.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace focal::data;
  if (size < 2 || sniff_format(data, size) != ImageFormat::kJpeg) return 0;
  static ImageDecoder decoder(focal::fuzz::kFuzzMaxPixels);  // one thread: one TurboJPEG handle
  const uint8_t knob = data[size - 1];
  try {
    decoder.probe(data, size);
  } catch (const DecodeError&) {
  }
  try {
    volatile unsigned s = focal::fuzz::pixel_sum(
        decoder.decode(data, size, focal::fuzz::channels_of(knob), focal::fuzz::scale_of(knob)));
    (void)s;
  } catch (const DecodeError&) {
  }
  return 0;
}
