#include "train/autocast_guard.h"

#include <ATen/autocast_mode.h>

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

AutocastGuard::AutocastGuard(AmpMode mode, torch::DeviceType device_type) : device_type_(device_type) {
  if (mode == AmpMode::kOff) return;
  active_ = true;
  previous_enabled_ = at::autocast::is_autocast_enabled(device_type_);
  previous_dtype_ = at::autocast::get_autocast_dtype(device_type_);
  at::autocast::set_autocast_enabled(device_type_, true);
  at::autocast::set_autocast_dtype(device_type_, mode == AmpMode::kBf16 ? at::kBFloat16 : at::kHalf);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // The cast cache holds float16 copies of the weights; it must not outlive the outermost autocast region.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_type_, previous_enabled_);
  at::autocast::set_autocast_dtype(device_type_, previous_dtype_);
}

}  // namespace focal::train
