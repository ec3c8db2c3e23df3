#include "focal/config/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <regex>

namespace focal {
namespace {

std::string without_underscores(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != '_') out += c;
  }
  return out;
}

bool one_of(const std::string& text, std::initializer_list<const char*> words) {
  for (const char* word : words) {
    if (text == word) return true;
  }
  return false;
}

}  // namespace

ConfigValue resolve_plain_scalar(const std::string& text) {
  if (one_of(text, {"", "~", "null", "Null", "NULL"})) return std::monostate{};
  if (one_of(text, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})) return true;
  if (one_of(text, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})) return false;

  static const std::regex decimal(R"([-+]?(0|[1-9][0-9_]*))");
  static const std::regex hex(R"([-+]?0x[0-9a-fA-F_]+)");
  if (std::regex_match(text, decimal) || std::regex_match(text, hex)) {
    std::string digits = without_underscores(text);
    bool negative = digits[0] == '-';
    if (digits[0] == '-' || digits[0] == '+') digits.erase(0, 1);
    int base = 10;
    if (digits.size() > 2 && digits[1] == 'x') {
      base = 16;
      digits.erase(0, 2);
    }
    // Parse the magnitude as unsigned so that INT64_MIN is representable.
    uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
    const uint64_t limit =
        negative ? uint64_t{1} << 63 : static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (ec == std::errc() && end == digits.data() + digits.size() && magnitude <= limit) {
      if (negative) return static_cast<int64_t>(0 - magnitude);
      return static_cast<int64_t>(magnitude);
    }
    return text;
  }

  static const std::regex with_dot(R"([-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?)");
  static const std::regex exponent_only(R"([-+]?[0-9][0-9_]*[eE][-+]?[0-9]+)");
  static const std::regex has_digit(R"(.*[0-9].*)");
  if ((std::regex_match(text, with_dot) && std::regex_match(text, has_digit)) ||
      std::regex_match(text, exponent_only)) {
    std::string digits = without_underscores(text);
    if (digits[0] == '+') digits.erase(0, 1);
    double value = 0.0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size()) return value;
    return text;  // out of double range
  }
  if (one_of(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}))
    return std::numeric_limits<double>::infinity();
  if (one_of(text, {"-.inf", "-.Inf", "-.INF"})) return -std::numeric_limits<double>::infinity();
  if (one_of(text, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
  return text;
}

std::string format_float(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  char buffer[64];
  // Shortest representation that round-trips (C++17 to_chars without a precision guarantees it).
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, ec == std::errc() ? end : buffer);
  // PyYAML's float pattern needs a '.' in the mantissa and a sign in the exponent.
  auto e = text.find_first_of("eE");
  std::string mantissa = e == std::string::npos ? text : text.substr(0, e);
  std::string exponent = e == std::string::npos ? "" : text.substr(e + 1);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  if (!exponent.empty() && exponent[0] != '-' && exponent[0] != '+') exponent = "+" + exponent;
  return exponent.empty() ? mantissa : mantissa + "e" + exponent;
}

std::string format_string(const std::string& value) {
  // Plain only for identifier- or path-like text that both YAML readers take as this very string
  // (leading digits are excluded: PyYAML reads e.g. 2021-01-01 as a date).
  static const std::regex safe_plain(R"([A-Za-z_/][A-Za-z0-9_./+-]*)");
  if (std::regex_match(value, safe_plain)) {
    ConfigValue resolved = resolve_plain_scalar(value);
    if (std::holds_alternative<std::string>(resolved)) return value;
  }
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace focal
