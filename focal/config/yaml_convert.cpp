#include "focal/config/yaml_convert.h"

#include "focal/config/config_error.h"
#include "focal/config/yaml_scalar.h"

#include <algorithm>
#include <optional>

namespace focal {
namespace {

bool is_null_node(const YAML::Node& node) {
  return node.IsNull() || (node.IsScalar() && kind_of(scalar_value(node)) == ValueKind::Null);
}

ValueKind element_kind(ValueKind list_kind) {
  switch (list_kind) {
    case ValueKind::IntList:
      return ValueKind::Int;
    case ValueKind::FloatList:
      return ValueKind::Float;
    case ValueKind::StringList:
      return ValueKind::String;
    default:
      return ValueKind::Null;
  }
}

bool is_list(ValueKind kind) { return element_kind(kind) != ValueKind::Null; }

std::string node_kind_name(const YAML::Node& node) {
  if (is_null_node(node)) return "null";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return kind_name(kind_of(scalar_value(node)));
}

[[noreturn]] void type_error(const std::string& where, const std::string& key, const ConfigEntry& entry,
                             const YAML::Node& node, const std::string& detail = "") {
  std::string expected = kind_name(entry.kind) + (entry.nullable ? " or null" : "");
  std::string message = where + ": config key '" + key + "' expects " + expected + ", got " +
                        node_text(node) + " (" + (detail.empty() ? node_kind_name(node) : detail) + ")";
  throw ConfigError(message);
}

// One scalar converted to `kind` (a scalar kind), or nullopt when it does not fit.
std::optional<ConfigValue> convert_scalar(const ConfigValue& value, ValueKind kind) {
  ValueKind actual = kind_of(value);
  if (actual == kind) return value;
  if (kind == ValueKind::Float && actual == ValueKind::Int) {
    return static_cast<double>(std::get<int64_t>(value));
  }
  return std::nullopt;
}

}  // namespace

ConfigValue scalar_value(const YAML::Node& scalar) {
  const std::string& tag = scalar.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return scalar.Scalar();
  return resolve_plain_scalar(scalar.Scalar());
}

std::string node_text(const YAML::Node& node) {
  if (node.IsNull()) return "null";
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

ConfigValue convert_for_entry(const YAML::Node& node, const ConfigEntry& entry, const std::string& key,
                              const std::string& where) {
  if (is_null_node(node)) {
    if (entry.nullable) return std::monostate{};
    type_error(where, key, entry, node);
  }
  if (node.IsMap()) type_error(where, key, entry, node);

  ConfigValue result;
  if (node.IsScalar()) {
    ConfigValue value = scalar_value(node);
    if (entry.false_means_null && kind_of(value) == ValueKind::Bool && !std::get<bool>(value)) {
      return std::monostate{};
    }
    if (is_list(entry.kind)) type_error(where, key, entry, node);
    auto converted = convert_scalar(value, entry.kind);
    if (!converted) type_error(where, key, entry, node);
    result = *converted;
  } else {
    if (!is_list(entry.kind)) type_error(where, key, entry, node);
    ValueKind element = element_kind(entry.kind);
    std::vector<int64_t> ints;
    std::vector<double> floats;
    std::vector<std::string> strings;
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      std::optional<ConfigValue> converted;
      if (item.IsScalar() && !is_null_node(item)) converted = convert_scalar(scalar_value(item), element);
      if (!converted) {
        type_error(where, key, entry, node, "element " + std::to_string(i) + " is " + node_kind_name(item));
      }
      if (element == ValueKind::Int) ints.push_back(std::get<int64_t>(*converted));
      if (element == ValueKind::Float) floats.push_back(std::get<double>(*converted));
      if (element == ValueKind::String) strings.push_back(std::get<std::string>(*converted));
    }
    if (element == ValueKind::Int) result = ints;
    if (element == ValueKind::Float) result = floats;
    if (element == ValueKind::String) result = strings;
  }

  if (!entry.choices.empty() && kind_of(result) == ValueKind::String) {
    const auto& text = std::get<std::string>(result);
    if (std::find(entry.choices.begin(), entry.choices.end(), text) == entry.choices.end()) {
      std::string allowed;
      for (const auto& choice : entry.choices)
        allowed += (allowed.empty() ? "" : ", ") + format_string(choice);
      throw ConfigError(where + ": config key '" + key + "' must be one of " + allowed + ", got " +
                        format_string(text));
    }
  }
  return result;
}

ConfigValue infer_value(const YAML::Node& node, const std::string& key, const std::string& where) {
  if (is_null_node(node)) return std::monostate{};
  if (node.IsScalar()) return scalar_value(node);
  if (node.IsSequence()) {
    // The narrowest list kind that holds every element.
    bool all_int = true, all_number = true, all_string = true;
    for (const auto& item : node) {
      ValueKind kind = item.IsScalar() && !is_null_node(item) ? kind_of(scalar_value(item)) : ValueKind::Null;
      all_int = all_int && kind == ValueKind::Int;
      all_number = all_number && (kind == ValueKind::Int || kind == ValueKind::Float);
      all_string = all_string && kind == ValueKind::String;
    }
    ConfigEntry entry;
    entry.kind = all_int      ? ValueKind::IntList
                 : all_number ? ValueKind::FloatList
                 : all_string ? ValueKind::StringList
                              : ValueKind::Null;
    if (entry.kind != ValueKind::Null) return convert_for_entry(node, entry, key, where);
  }
  throw ConfigError(where + ": config key '" + key + "' has " + node_text(node) +
                    ", which is not a scalar or a list of scalars of one type");
}

}  // namespace focal
