#include "data/decode/image.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace focal::data {

Image::Image(int64_t height, int64_t width, int64_t channels)
    : height_(height), width_(width), channels_(channels) {
  if (height < 0 || width < 0 || channels < 1 || channels > 4) {
    throw std::invalid_argument("Image: bad shape " + std::to_string(height) + "x" + std::to_string(width) +
                                "x" + std::to_string(channels));
  }
  // Spare bytes past the end let vector kernels load a few bytes beyond the last pixel.
  pixels_.reset(new uint8_t[static_cast<size_t>(num_bytes()) + kImagePadding]);
}

ImageView Image::view() const { return ImageView{data(), height_, width_, channels_, stride()}; }

ImageView Image::view(const Rect& r) const {
  if (r.x < 0 || r.y < 0 || r.width < 0 || r.height < 0 || r.x + r.width > width_ ||
      r.y + r.height > height_) {
    throw std::out_of_range("Image::view: rectangle (" + std::to_string(r.x) + "," + std::to_string(r.y) +
                            "," + std::to_string(r.width) + "," + std::to_string(r.height) + ") outside a " +
                            std::to_string(width_) + "x" + std::to_string(height_) + " image");
  }
  return ImageView{data() + r.y * stride() + r.x * channels_, r.height, r.width, channels_, stride()};
}

Image Image::clone() const {
  Image out(height_, width_, channels_);
  if (num_bytes() > 0) std::memcpy(out.data(), data(), static_cast<size_t>(num_bytes()));
  return out;
}

Image Image::from_view(const ImageView& v) {
  Image out(v.height, v.width, v.channels);
  for (int64_t y = 0; y < v.height; ++y) {
    std::memcpy(out.row(y), v.row(y), static_cast<size_t>(v.width * v.channels));
  }
  return out;
}

void flip_horizontal(Image& img) {
  const int64_t c = img.channels();
  for (int64_t y = 0; y < img.height(); ++y) {
    uint8_t* row = img.row(y);
    for (int64_t l = 0, r = img.width() - 1; l < r; ++l, --r) {
      std::swap_ranges(row + l * c, row + l * c + c, row + r * c);
    }
  }
}

}  // namespace focal::data
