#include "train/recipe/amp_mode.h"

#include <stdexcept>

namespace focal::train {

AmpMode parse_amp_mode(const std::string& text, const std::string& where) {
  if (text == "off" || text.empty()) return AmpMode::kOff;
  if (text == "bf16") return AmpMode::kBf16;
  if (text == "fp16") return AmpMode::kFp16;
  throw std::invalid_argument(where + ": mixed precision '" + text + "' is not one of bf16, fp16, off");
}

std::string amp_mode_name(AmpMode mode) {
  switch (mode) {
    case AmpMode::kBf16:
      return "bf16";
    case AmpMode::kFp16:
      return "fp16";
    case AmpMode::kOff:
      return "off";
  }
  return "off";
}

std::optional<c10::ScalarType> amp_dtype(AmpMode mode) {
  switch (mode) {
    case AmpMode::kBf16:
      return c10::ScalarType::BFloat16;
    case AmpMode::kFp16:
      return c10::ScalarType::Half;
    case AmpMode::kOff:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace focal::train
