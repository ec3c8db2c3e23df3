#include "focal/runtime/device.h"

#include <torch/cuda.h>

#include <stdexcept>

namespace focal {

c10::Device parse_device(const std::string& text, const std::string& option) {
  const std::string where = option + " " + text;
  const bool cuda = text == "cuda" || text.rfind("cuda:", 0) == 0;
  if (text != "cpu" && !cuda) throw std::invalid_argument(where + ": expected cpu, cuda or cuda:N");
  int index = -1;
  if (text.size() > 5) {
    const std::string digits = text.substr(5);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4) {
      throw std::invalid_argument(where + ": the device index must be a number, e.g. cuda:0");
    }
    index = std::stoi(digits);
  } else if (text.size() == 5) {
    throw std::invalid_argument(where + ": the device index is missing, e.g. cuda:0");
  }
  if (!cuda) return c10::Device(c10::kCPU);
  if (!torch::cuda::is_available()) throw std::invalid_argument(where + ": LibTorch sees no CUDA device");
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (index >= count) {
    throw std::invalid_argument(where + ": LibTorch sees " + std::to_string(count) + " CUDA device" +
                                (count == 1 ? "" : "s") + " (cuda:0" +
                                (count > 1 ? " to cuda:" + std::to_string(count - 1) : "") + ")");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace focal
