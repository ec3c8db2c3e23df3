#include "train/checkpoint/ivalue_dict.h"

#include <ATen/core/List.h>
#include <torch/types.h>

#include <stdexcept>

namespace focal::train {

namespace {

std::runtime_error key_error(const std::string& where, const std::string& key, const std::string& problem) {
  return std::runtime_error(where + ": key '" + key + "' " + problem);
}

double number_of(const c10::IValue& v, const std::string& key, const std::string& where) {
  if (v.isDouble()) return v.toDouble();
  if (v.isInt()) return static_cast<double>(v.toInt());
  if (v.isBool()) return v.toBool() ? 1.0 : 0.0;
  if (v.isTensor() && v.toTensor().numel() == 1) return v.toTensor().item<double>();
  throw key_error(where, key, "is not a number (found " + v.tagKind() + ")");
}

}  // namespace

IValueDict make_dict() { return IValueDict(c10::StringType::get(), c10::AnyType::get()); }

IValueDict as_dict(const c10::IValue& value, const std::string& where) {
  if (!value.isGenericDict()) throw std::runtime_error(where + ": expected a dict, found " + value.tagKind());
  return value.toGenericDict();
}

bool dict_has(const IValueDict& dict, const std::string& key) { return dict.contains(c10::IValue(key)); }

c10::IValue dict_get(const IValueDict& dict, const std::string& key, const std::string& where) {
  auto it = dict.find(c10::IValue(key));
  if (it == dict.end()) throw key_error(where, key, "is missing");
  return it->value();
}

double dict_double(const IValueDict& dict, const std::string& key, const std::string& where) {
  return number_of(dict_get(dict, key, where), key, where);
}

int64_t dict_int(const IValueDict& dict, const std::string& key, const std::string& where) {
  auto v = dict_get(dict, key, where);
  if (v.isInt()) return v.toInt();
  if (v.isTensor() && v.toTensor().numel() == 1) return v.toTensor().item<int64_t>();
  if (v.isDouble() && v.toDouble() == static_cast<double>(static_cast<int64_t>(v.toDouble()))) {
    return static_cast<int64_t>(v.toDouble());
  }
  throw key_error(where, key, "is not an integer (found " + v.tagKind() + ")");
}

bool dict_bool(const IValueDict& dict, const std::string& key, const std::string& where) {
  auto v = dict_get(dict, key, where);
  if (v.isBool()) return v.toBool();
  if (v.isInt()) return v.toInt() != 0;
  throw key_error(where, key, "is not a bool (found " + v.tagKind() + ")");
}

std::string dict_string(const IValueDict& dict, const std::string& key, const std::string& where) {
  auto v = dict_get(dict, key, where);
  if (!v.isString()) throw key_error(where, key, "is not a string (found " + v.tagKind() + ")");
  return v.toStringRef();
}

torch::Tensor dict_tensor(const IValueDict& dict, const std::string& key, const std::string& where) {
  auto v = dict_get(dict, key, where);
  if (!v.isTensor()) throw key_error(where, key, "is not a tensor (found " + v.tagKind() + ")");
  return v.toTensor();
}

std::vector<double> dict_doubles(const IValueDict& dict, const std::string& key, const std::string& where) {
  auto v = dict_get(dict, key, where);
  std::vector<double> out;
  if (v.isDoubleList()) {
    for (double d : v.toDoubleList()) out.push_back(d);
  } else if (v.isList() || v.isTuple()) {
    auto items = v.isList() ? v.toListRef().vec() : v.toTupleRef().elements().vec();
    for (const auto& item : items) out.push_back(number_of(item, key, where));
  } else {
    throw key_error(where, key, "is not a list of numbers (found " + v.tagKind() + ")");
  }
  return out;
}

c10::IValue double_list(const std::vector<double>& values) {
  c10::List<double> list;
  for (double v : values) list.push_back(v);
  return list;
}

}  // namespace focal::train
