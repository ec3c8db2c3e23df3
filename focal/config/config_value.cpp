#include "focal/config/config_value.h"

#include "focal/config/yaml_scalar.h"

namespace focal {
namespace {

template <class T>
std::string join_list(const std::vector<T>& items, std::string (*format)(const T&)) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += format(items[i]);
  }
  return out + "]";
}

std::string format_int(const int64_t& v) { return std::to_string(v); }
std::string format_double(const double& v) { return format_float(v); }
std::string format_str(const std::string& v) { return format_string(v); }

}  // namespace

ValueKind kind_of(const ConfigValue& value) { return static_cast<ValueKind>(value.index()); }

std::string kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::Null:
      return "null";
    case ValueKind::Int:
      return "an integer";
    case ValueKind::Float:
      return "a float";
    case ValueKind::Bool:
      return "a boolean";
    case ValueKind::String:
      return "a string";
    case ValueKind::IntList:
      return "a list of integers";
    case ValueKind::FloatList:
      return "a list of floats";
    case ValueKind::StringList:
      return "a list of strings";
  }
  return "?";
}

std::string value_to_yaml(const ConfigValue& value) {
  switch (kind_of(value)) {
    case ValueKind::Null:
      return "null";
    case ValueKind::Int:
      return std::to_string(std::get<int64_t>(value));
    case ValueKind::Float:
      return format_float(std::get<double>(value));
    case ValueKind::Bool:
      return std::get<bool>(value) ? "true" : "false";
    case ValueKind::String:
      return format_string(std::get<std::string>(value));
    case ValueKind::IntList:
      return join_list(std::get<std::vector<int64_t>>(value), &format_int);
    case ValueKind::FloatList:
      return join_list(std::get<std::vector<double>>(value), &format_double);
    case ValueKind::StringList:
      return join_list(std::get<std::vector<std::string>>(value), &format_str);
  }
  return "null";
}

}  // namespace focal
