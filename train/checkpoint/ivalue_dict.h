#pragma once
// Small helpers for the string-keyed dictionaries that make up a training checkpoint (the same shape a
// Python torch.save of a dict has), with errors that name the missing or mistyped key.
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <string>
#include <vector>

namespace focal::train {

using IValueDict = c10::Dict<c10::IValue, c10::IValue>;

// An empty dict with string keys and values of any type.
IValueDict make_dict();
// The dict inside `value`; throws naming `where` when it is not a dict.
IValueDict as_dict(const c10::IValue& value, const std::string& where);

bool dict_has(const IValueDict& dict, const std::string& key);
c10::IValue dict_get(const IValueDict& dict, const std::string& key, const std::string& where);
// Typed readers: accept ints for doubles, 0-d tensors for numbers (Python often stores those).
double dict_double(const IValueDict& dict, const std::string& key, const std::string& where);
int64_t dict_int(const IValueDict& dict, const std::string& key, const std::string& where);
bool dict_bool(const IValueDict& dict, const std::string& key, const std::string& where);
std::string dict_string(const IValueDict& dict, const std::string& key, const std::string& where);
torch::Tensor dict_tensor(const IValueDict& dict, const std::string& key, const std::string& where);
std::vector<double> dict_doubles(const IValueDict& dict, const std::string& key, const std::string& where);

c10::IValue double_list(const std::vector<double>& values);

}  // namespace focal::train
