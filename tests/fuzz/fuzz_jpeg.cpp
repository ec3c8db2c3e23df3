// Fuzz target: JPEG decoding (TurboJPEG header probe, full decode at every DCT scale, grayscale and RGB,
// CMYK conversion). Inputs that are not JPEG are left out (other formats go to OpenCV, which is not
// ours). Promises checked: pixels or a DecodeError; never a crash, a sanitizer report, another exception;
// and after a DecodeError the same decoder still decodes a good JPEG (TurboJPEG 2.1 could leave its handle
// failing every later header, which made one damaged file fail every image after it on a loader worker).
#include <turbojpeg.h>

#include <cstdint>
#include <vector>

#include "tests/fuzz/fuzz_image_common.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

// A valid 16x8 grayscale JPEG, encoded once by TurboJPEG.
const std::vector<uint8_t>& good_jpeg() {
  static const std::vector<uint8_t> bytes = [] {
    constexpr int kWidth = 16, kHeight = 8;
    std::vector<uint8_t> pixels(kWidth * kHeight);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 2);
    tjhandle tj = tjInitCompress();
    unsigned char* out = nullptr;
    unsigned long n = 0;
    if (tj == nullptr ||
        tjCompress2(tj, pixels.data(), kWidth, 0, kHeight, TJPF_GRAY, &out, &n, TJSAMP_GRAY, 90, 0) != 0) {
      focal::fuzz::finding("cannot encode the reference JPEG");
    }
    std::vector<uint8_t> v(out, out + n);
    tjFree(out);
    tjDestroy(tj);
    return v;
  }();
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace focal::data;
  if (size < 2 || sniff_format(data, size) != ImageFormat::kJpeg) return 0;
  static ImageDecoder decoder(focal::fuzz::kFuzzMaxPixels);  // one thread: one TurboJPEG handle
  const uint8_t knob = data[size - 1];
  bool failed = false;
  try {
    decoder.probe(data, size);
  } catch (const DecodeError&) {
    failed = true;
  }
  try {
    volatile unsigned s = focal::fuzz::pixel_sum(
        decoder.decode(data, size, focal::fuzz::channels_of(knob), focal::fuzz::scale_of(knob)));
    (void)s;
  } catch (const DecodeError&) {
    failed = true;
  }
  if (failed) {
    const auto& good = good_jpeg();
    try {
      if (decoder.decode(good.data(), good.size(), 1).width() != 16) {
        focal::fuzz::finding("the reference JPEG decoded at the wrong size after this input");
      }
    } catch (const DecodeError& e) {
      focal::fuzz::finding(std::string("after this input the decoder no longer decodes a good JPEG: ") +
                           e.what());
    }
  }
  return 0;
}
