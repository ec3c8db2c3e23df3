#include "focal/runtime/autocast_scope.h"

#include <ATen/autocast_mode.h>

#include <stdexcept>

namespace focal {

AutocastScope::AutocastScope(c10::DeviceType device_type, std::optional<c10::ScalarType> dtype)
    : device_type_(device_type) {
  if (!dtype) return;
  active_ = true;
  previous_enabled_ = at::autocast::is_autocast_enabled(device_type_);
  previous_dtype_ = at::autocast::get_autocast_dtype(device_type_);
  at::autocast::set_autocast_enabled(device_type_, true);
  at::autocast::set_autocast_dtype(device_type_, *dtype);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_type_, previous_enabled_);
  at::autocast::set_autocast_dtype(device_type_, previous_dtype_);
}

std::optional<c10::ScalarType> parse_precision(const std::string& text, const std::string& where) {
  if (text == "fp32" || text == "off") return std::nullopt;
  if (text == "bf16") return c10::ScalarType::BFloat16;
  if (text == "fp16") return c10::ScalarType::Half;
  throw std::invalid_argument(where + ": precision must be fp32 (off), bf16 or fp16, not '" + text + "'");
}

}  // namespace focal
