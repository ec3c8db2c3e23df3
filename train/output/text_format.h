#pragma once
// printf-style formatting into a std::string, checked by the compiler, for log lines ({fmt} is off limits:
// see run_log.h).
#include <string>

namespace focal::train {

std::string strformat(const char* format, ...) __attribute__((format(printf, 1, 2)));
// H:MM:SS of a duration in seconds (negative counts as 0).
std::string hms(double seconds);

}  // namespace focal::train
