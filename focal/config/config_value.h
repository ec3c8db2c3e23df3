#pragma once
// Typed values of the configuration tree. Each key of the schema has a fixed kind, as in yacs where the
// default's Python type is the type every later value must have.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace focal {

// Alternatives in the same order as ValueKind, so that `value.index()` is the kind of a stored value.
using ConfigValue = std::variant<std::monostate, int64_t, double, bool, std::string, std::vector<int64_t>,
                                 std::vector<double>, std::vector<std::string>>;

enum class ValueKind { Null, Int, Float, Bool, String, IntList, FloatList, StringList };

struct ConfigEntry {
  ValueKind kind = ValueKind::Null;
  ConfigValue value;
  // yacs None is allowed (the original default is None, or False used as "unset").
  bool nullable = false;
  // The original default is False meaning "unset" (MODEL.FOCAL.QK_SCALE): false is read as null.
  bool false_means_null = false;
  // A key below a section that accepts new keys (MODEL.SPEC): its kind follows whatever it is given.
  bool free_form = false;
  // When not empty, the only accepted string values.
  std::vector<std::string> choices;
};

// The kind of a value as stored (std::monostate is Null).
ValueKind kind_of(const ConfigValue& value);
// "an integer", "a list of floats", ... for error messages.
std::string kind_name(ValueKind kind);
// YAML flow text of a value, e.g. `[2, 2, 6, 2]`, `"fc"`, `null`; floats always carry a '.' or an exponent so
// that PyYAML (used by the original) reads them back as floats.
std::string value_to_yaml(const ConfigValue& value);

}  // namespace focal
