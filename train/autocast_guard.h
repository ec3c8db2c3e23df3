#pragma once
// Mixed precision for a scope: autocast on the device type of the model with bfloat16 or float16, restored
// on exit (TRAIN.AMP / --amp: "bf16", "fp16", "off"). float16 additionally needs the GradScaler.
#include <torch/types.h>

#include <string>

namespace focal::train {

enum class AmpMode { kOff, kBf16, kFp16 };

// Parses "bf16" | "fp16" | "off"; throws naming `where` for anything else.
AmpMode parse_amp_mode(const std::string& text, const std::string& where);
std::string amp_mode_name(AmpMode mode);

class AutocastGuard {
 public:
  AutocastGuard(AmpMode mode, torch::DeviceType device_type);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  torch::DeviceType device_type_;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace focal::train
