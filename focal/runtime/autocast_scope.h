#pragma once
// Runs a scope under autocast on one device type with a reduced-precision dtype (bfloat16 or float16),
// restoring the previous autocast settings and clearing the cast cache on exit. A null dtype does nothing.
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>

namespace focal {

class AutocastScope {
 public:
  AutocastScope(c10::DeviceType device_type, std::optional<c10::ScalarType> dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType device_type_;
  bool previous_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
};

// "fp32" / "off" -> none, "bf16" -> BFloat16, "fp16" -> Half; anything else throws naming `where`.
std::optional<c10::ScalarType> parse_precision(const std::string& text, const std::string& where);

}  // namespace focal
