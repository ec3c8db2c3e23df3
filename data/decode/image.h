#pragma once
// An 8-bit image with interleaved channels (height, width, channels), the layout decoders produce and
// every augmentation works on. Channels is 1 (grayscale) or 3 (RGB).
#include <cstdint>
#include <memory>

namespace focal::data {

// A rectangle in pixel coordinates (left, top, width, height).
struct Rect {
  int64_t x = 0;
  int64_t y = 0;
  int64_t width = 0;
  int64_t height = 0;
};

// A read-only window onto an image's pixels (rows may be longer than the window).
struct ImageView {
  const uint8_t* data = nullptr;
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
  int64_t stride = 0;  // bytes from one row to the next
  const uint8_t* row(int64_t y) const { return data + y * stride; }
};

// Readable bytes allocated past the last pixel of every Image (vector kernels may over-read).
constexpr int64_t kImagePadding = 16;

class Image {
 public:
  Image() = default;
  // Pixels are left uninitialised: every producer overwrites all of them.
  Image(int64_t height, int64_t width, int64_t channels);

  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t channels() const { return channels_; }
  int64_t stride() const { return width_ * channels_; }
  int64_t num_bytes() const { return height_ * width_ * channels_; }
  bool empty() const { return num_bytes() == 0; }

  uint8_t* data() { return pixels_.get(); }
  const uint8_t* data() const { return pixels_.get(); }
  uint8_t* row(int64_t y) { return pixels_.get() + y * stride(); }
  const uint8_t* row(int64_t y) const { return pixels_.get() + y * stride(); }
  uint8_t& at(int64_t y, int64_t x, int64_t c) { return pixels_[(y * width_ + x) * channels_ + c]; }
  uint8_t at(int64_t y, int64_t x, int64_t c) const { return pixels_[(y * width_ + x) * channels_ + c]; }

  ImageView view() const;
  // The window `r`, which must lie inside the image.
  ImageView view(const Rect& r) const;
  Image clone() const;

  static Image from_view(const ImageView& v);

 private:
  int64_t height_ = 0;
  int64_t width_ = 0;
  int64_t channels_ = 0;
  std::unique_ptr<uint8_t[]> pixels_;
};

// Mirrors the image left-right in place (torchvision's hflip).
void flip_horizontal(Image& img);

}  // namespace focal::data
