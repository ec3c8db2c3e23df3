#pragma once
// The names torch.save uses for element types: dtype globals (`torch.float32`) and the legacy typed-storage
// classes (`torch.FloatStorage`).
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>
#include <string_view>

namespace focal::io::detail {

// "float32", also the aliases "float", "half", "long", ... (the part after "torch.").
std::optional<c10::ScalarType> dtype_from_name(std::string_view name);
// "FloatStorage", ... (the class name without its module).
std::optional<c10::ScalarType> dtype_from_storage_class(std::string_view name);
// Canonical Python name, e.g. "float32"; "unknown" for types torch.save never writes.
std::string dtype_name(c10::ScalarType type);
// The storage class torch.save names in persistent ids, or nullopt for dtypes it saves untyped (uint16,
// float8...).
std::optional<std::string> storage_class_name(c10::ScalarType type);

}  // namespace focal::io::detail
