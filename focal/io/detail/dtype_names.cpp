#include "focal/io/detail/dtype_names.h"

#include <array>

namespace focal::io::detail {
namespace {

struct DtypeName {
  c10::ScalarType type;
  const char* name;     // canonical torch.<name>
  const char* alias;    // second spelling or ""
  const char* storage;  // typed-storage class or "" when torch.save stores it untyped
};

constexpr std::array<DtypeName, 21> kDtypes{{
    {c10::ScalarType::Float, "float32", "float", "FloatStorage"},
    {c10::ScalarType::Double, "float64", "double", "DoubleStorage"},
    {c10::ScalarType::Half, "float16", "half", "HalfStorage"},
    {c10::ScalarType::BFloat16, "bfloat16", "", "BFloat16Storage"},
    {c10::ScalarType::Long, "int64", "long", "LongStorage"},
    {c10::ScalarType::Int, "int32", "int", "IntStorage"},
    {c10::ScalarType::Short, "int16", "short", "ShortStorage"},
    {c10::ScalarType::Char, "int8", "", "CharStorage"},
    {c10::ScalarType::Byte, "uint8", "", "ByteStorage"},
    {c10::ScalarType::Bool, "bool", "", "BoolStorage"},
    {c10::ScalarType::ComplexFloat, "complex64", "cfloat", "ComplexFloatStorage"},
    {c10::ScalarType::ComplexDouble, "complex128", "cdouble", "ComplexDoubleStorage"},
    {c10::ScalarType::ComplexHalf, "complex32", "chalf", ""},
    {c10::ScalarType::UInt16, "uint16", "", ""},
    {c10::ScalarType::UInt32, "uint32", "", ""},
    {c10::ScalarType::UInt64, "uint64", "", ""},
    {c10::ScalarType::Float8_e4m3fn, "float8_e4m3fn", "", ""},
    {c10::ScalarType::Float8_e5m2, "float8_e5m2", "", ""},
    {c10::ScalarType::Float8_e4m3fnuz, "float8_e4m3fnuz", "", ""},
    {c10::ScalarType::Float8_e5m2fnuz, "float8_e5m2fnuz", "", ""},
    {c10::ScalarType::Float8_e8m0fnu, "float8_e8m0fnu", "", ""},
}};

}  // namespace

std::optional<c10::ScalarType> dtype_from_name(std::string_view name) {
  for (const auto& d : kDtypes) {
    if (name == d.name || (d.alias[0] != '\0' && name == d.alias)) return d.type;
  }
  return std::nullopt;
}

std::optional<c10::ScalarType> dtype_from_storage_class(std::string_view name) {
  for (const auto& d : kDtypes) {
    if (d.storage[0] != '\0' && name == d.storage) return d.type;
  }
  return std::nullopt;
}

std::string dtype_name(c10::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type) return d.name;
  }
  return "unknown";
}

std::optional<std::string> storage_class_name(c10::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type && d.storage[0] != '\0') return std::string(d.storage);
  }
  return std::nullopt;
}

}  // namespace focal::io::detail
