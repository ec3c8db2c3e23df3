#pragma once
// Channel counts rounded the way timm rounds them (timm.layers.make_divisible), so that widths derived from
// ratios match timm's models exactly.
#include <algorithm>
#include <cstdint>

namespace focal::halonet {

// Nearest multiple of `divisor` (at least `divisor`), bumped up one step when it fell below
// `round_limit * value` (timm: 0.9 for network widths, 0 for squeeze-excitation widths).
inline int64_t make_divisible(double value, int64_t divisor = 8, double round_limit = 0.9) {
  const auto d = static_cast<double>(divisor);
  auto rounded = std::max<int64_t>(divisor, static_cast<int64_t>(value + d / 2) / divisor * divisor);
  if (static_cast<double>(rounded) < round_limit * value) rounded += divisor;
  return rounded;
}

}  // namespace focal::halonet
