#pragma once
// Mixed-precision mode of a run (TRAIN.AMP / --amp: "bf16", "fp16", "off"). The autocast region itself is
// focal::AutocastScope (focal/runtime/autocast_scope.h); float16 additionally needs the GradScaler.
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>

namespace focal::train {

enum class AmpMode { kOff, kBf16, kFp16 };

// Parses "bf16" | "fp16" | "off" (empty means off); throws naming `where` for anything else.
AmpMode parse_amp_mode(const std::string& text, const std::string& where);
std::string amp_mode_name(AmpMode mode);
// The autocast dtype of a mode, none for kOff: the argument of focal::AutocastScope.
std::optional<c10::ScalarType> amp_dtype(AmpMode mode);

}  // namespace focal::train
