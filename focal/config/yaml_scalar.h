#pragma once
// Scalar text <-> typed value, following the YAML 1.1 rules of PyYAML (which the original reads its
// configs with), so that a file means the same thing to both implementations.
#include "focal/config/config_value.h"

#include <string>

namespace focal {

// Value of an unquoted (plain) YAML scalar: null (`~`, `null`, empty), bool (true/false/yes/no/on/off in
// any of PyYAML's spellings), integer (decimal, 0x hex, `_` separators), float (with a '.', `.inf`, `.nan`;
// also `5e-4` without a dot, which PyYAML would leave a string but which is clearly meant as a number),
// otherwise the text itself as a string. Integers outside int64 stay strings (and fail type checks).
ConfigValue resolve_plain_scalar(const std::string& text);

// Shortest text that reads back as exactly `value` and that PyYAML reads as a float (`4.0`, `1.0e-08`).
std::string format_float(double value);
// The string as a YAML scalar: plain when it reads back as the same string (for PyYAML too), otherwise
// double-quoted with escapes.
std::string format_string(const std::string& value);

}  // namespace focal
