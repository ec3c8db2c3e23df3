#include "focal/io/state_dict.h"

#include <array>
#include <stdexcept>
#include <unordered_set>

#include "focal/io/checkpoint.h"

namespace focal::io {
namespace {

constexpr std::array<const char*, 4> kNestedKeys{"model", "state_dict", "model_ema", "state_dict_ema"};
constexpr std::string_view kDataParallelPrefix = "module.";

std::string top_level_keys(const c10::impl::GenericDict& dict) {
  std::string out;
  for (const auto& e : dict) {
    if (!out.empty()) out += ", ";
    out += e.key().isString() ? e.key().toStringRef() : "<non-string key>";
  }
  return out.empty() ? "none" : out;
}

// The dict stored under `key`, or None.
c10::IValue nested_dict(const c10::impl::GenericDict& root, const std::string& key) {
  if (root.keyType()->kind() != c10::TypeKind::StringType) return c10::IValue();
  auto it = root.find(key);
  if (it == root.end() || !it->value().isGenericDict()) return c10::IValue();
  return it->value();
}

}  // namespace

StateDict extract_state_dict(const c10::IValue& root, const std::string& source_name,
                             const std::string& prefer) {
  if (!root.isGenericDict()) {
    throw std::runtime_error(source_name + ": the checkpoint holds a " + root.tagKind() +
                             ", not a dict of tensors");
  }
  const auto top = root.toGenericDict();
  c10::IValue chosen;
  if (!prefer.empty()) {
    chosen = nested_dict(top, prefer);
    if (chosen.isNone()) {
      throw std::runtime_error(source_name + ": no dict under key '" + prefer +
                               "' (top-level keys: " + top_level_keys(top) + ")");
    }
  } else {
    for (const char* key : kNestedKeys) {
      chosen = nested_dict(top, key);
      if (!chosen.isNone()) break;
    }
    if (chosen.isNone()) chosen = root;  // a bare state dict
  }

  StateDict out;
  std::unordered_set<std::string> names;
  for (const auto& e : chosen.toGenericDict()) {
    if (!e.key().isString() || !e.value().isTensor()) continue;
    std::string name = e.key().toStringRef();
    if (name.rfind(kDataParallelPrefix, 0) == 0) name.erase(0, kDataParallelPrefix.size());
    if (!names.insert(name).second) {
      throw std::runtime_error(source_name + ": key '" + name +
                               "' occurs twice once the 'module.' prefix is removed");
    }
    out.emplace_back(std::move(name), e.value().toTensor());
  }
  if (out.empty()) {
    throw std::runtime_error(
        source_name + ": no tensors found in the state dict (top-level keys: " + top_level_keys(top) + ")");
  }
  return out;
}

StateDict read_state_dict(const std::string& path, const std::string& prefer) {
  return extract_state_dict(read_pickle_file(path), path, prefer);
}

StateDict module_state_dict(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    out.emplace_back(p.key(), p.value().detach());
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    if (b.value().defined()) out.emplace_back(b.key(), b.value().detach());
  }
  return out;
}

}  // namespace focal::io
