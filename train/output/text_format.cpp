#include "train/output/text_format.h"

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace focal::train {

std::string strformat(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string out;
  if (n > 0) {
    std::vector<char> buf(static_cast<size_t>(n) + 1);
    std::vsnprintf(buf.data(), buf.size(), format, args);
    out.assign(buf.data(), static_cast<size_t>(n));
  }
  va_end(args);
  return out;
}

std::string hms(double seconds) {
  auto s = static_cast<long long>(std::max(0.0, seconds));
  return strformat("%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace focal::train
