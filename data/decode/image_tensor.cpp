#include "data/decode/image_tensor.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace focal::data {

torch::Tensor image_to_tensor(const Image& img) {
  auto t = torch::empty({img.height(), img.width(), img.channels()}, torch::kUInt8);
  if (img.num_bytes() > 0)
    std::memcpy(t.data_ptr<uint8_t>(), img.data(), static_cast<size_t>(img.num_bytes()));
  return t;
}

Image image_from_tensor(const torch::Tensor& hwc) {
  if (hwc.dim() != 3 || hwc.scalar_type() != torch::kUInt8) {
    throw std::invalid_argument("image_from_tensor: expected a (H, W, C) uint8 tensor, got " +
                                std::to_string(hwc.dim()) + " dims of " +
                                std::string(c10::toString(hwc.scalar_type())));
  }
  auto t = hwc.contiguous();
  Image out(t.size(0), t.size(1), t.size(2));
  if (out.num_bytes() > 0)
    std::memcpy(out.data(), t.data_ptr<uint8_t>(), static_cast<size_t>(out.num_bytes()));
  return out;
}

}  // namespace focal::data
