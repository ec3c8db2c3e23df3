#include "focal/config/config.h"

#include "focal/config/yaml_convert.h"
#include "focal/config/yaml_scalar.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

namespace focal {
namespace {

namespace fs = std::filesystem;

const char* const kCommandLine = "command line";

std::string parent_of(const std::string& path) {
  auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string join_path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

std::string trim(const std::string& text) {
  const char* space = " \t\r\n";
  auto first = text.find_first_not_of(space);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

std::string file_location(const std::string& file, const YAML::Mark& mark) {
  return mark.is_null() ? file : file + ":" + std::to_string(mark.line + 1);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

// Value of type T held by `value`, with the widening conversions get() allows (int -> double).
template <class T>
std::optional<T> extract(const ConfigValue& value) {
  if (const T* held = std::get_if<T>(&value)) return *held;
  return std::nullopt;
}

template <>
std::optional<double> extract<double>(const ConfigValue& value) {
  if (const double* held = std::get_if<double>(&value)) return *held;
  if (const int64_t* held = std::get_if<int64_t>(&value)) return static_cast<double>(*held);
  return std::nullopt;
}

template <>
std::optional<std::vector<double>> extract<std::vector<double>>(const ConfigValue& value) {
  if (const auto* held = std::get_if<std::vector<double>>(&value)) return *held;
  if (const auto* held = std::get_if<std::vector<int64_t>>(&value)) {
    return std::vector<double>(held->begin(), held->end());
  }
  return std::nullopt;
}

template <class T>
ValueKind kind_for() {
  return kind_of(ConfigValue(T{}));
}

}  // namespace

Config Config::from_file(const std::string& path) {
  Config config = defaults();
  config.merge_file(path);
  return config;
}

constexpr int64_t kMaxIncludedFiles = 256;

void Config::merge_file(const std::string& path) {
  Config merged = *this;
  std::vector<std::string> include_stack;
  int64_t files_read = 0;
  merged.merge_file_into(path, include_stack, files_read);
  *this = std::move(merged);
}

void Config::merge_file_into(const std::string& path, std::vector<std::string>& include_stack,
                             int64_t& files_read) {
  const std::string included_by =
      include_stack.empty() ? "" : " (listed in BASE of '" + include_stack.back() + "')";
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ConfigError("config file '" + path + "' does not exist" + included_by);
  if (fs::is_directory(path, ec))
    throw ConfigError("config file '" + path + "' is a directory" + included_by);

  const std::string canonical = fs::weakly_canonical(path, ec).string();
  if (std::find(include_stack.begin(), include_stack.end(), canonical) != include_stack.end()) {
    std::string chain;
    for (const auto& file : include_stack) chain += file + " -> ";
    throw ConfigError("config file '" + path + "': BASE includes form a cycle: " + chain + canonical);
  }
  // Without a cycle, files listing the same bases several times still multiply: 30 files naming the next
  // one twice would read 2^30 files. Real configurations read a handful.
  if (++files_read > kMaxIncludedFiles) {
    throw ConfigError("config file '" + path + "'" + included_by + ": more than " +
                      std::to_string(kMaxIncludedFiles) + " files read through BASE includes");
  }

  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError("config file '" + path + "' cannot be read" + included_by);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file_location(path, e.mark) + ": YAML syntax error in config file: " + e.msg);
  }
  if (root.IsNull()) return;  // an empty file changes nothing
  if (!root.IsMap()) {
    throw ConfigError(path + ": a config file must be a mapping of keys at its top level, got " +
                      node_text(root));
  }

  include_stack.push_back(canonical);
  const YAML::Node& const_root = root;
  if (const YAML::Node base = const_root["BASE"]; base.IsDefined() && !base.IsNull()) {
    const std::string where = file_location(path, base.Mark());
    std::vector<std::string> files;
    if (base.IsScalar()) {
      files.push_back(base.Scalar());
    } else if (base.IsSequence()) {
      for (const auto& item : base) {
        if (!item.IsScalar())
          throw ConfigError(where + ": BASE must be a list of file names, got " + node_text(base));
        files.push_back(item.Scalar());
      }
    } else {
      throw ConfigError(where + ": BASE must be a list of file names, got " + node_text(base));
    }
    // As the original: bases are merged first, in order, each relative to the including file.
    for (const auto& file : files) {
      if (file.empty()) continue;
      // A file name cannot hold a NUL byte, and messages quoting one would end at it (found by fuzz_config).
      if (file.find('\0') != std::string::npos)
        throw ConfigError(where + ": BASE entry contains a NUL byte, which no file name can hold");
      merge_file_into((fs::path(path).parent_path() / file).string(), include_stack, files_read);
    }
  }
  merge_mapping(root, "", path);
  include_stack.pop_back();
}

void Config::merge_mapping(const YAML::Node& mapping, const std::string& prefix, const std::string& source) {
  for (const auto& item : mapping) {
    const std::string where = file_location(source, item.first.Mark());
    if (!item.first.IsScalar())
      throw ConfigError(where + ": config keys must be names, got " + node_text(item.first));
    const std::string name = item.first.Scalar();
    // Dotted paths address keys: a key that is empty or holds a dot could not be told apart from a section.
    if (name.empty() || name.find('.') != std::string::npos) {
      throw ConfigError(where + ": config key '" + name + "' is empty or contains '.'");
    }
    // BASE is consumed by the include mechanism; the resolved configuration has no includes left.
    if (prefix.empty() && name == "BASE") continue;
    const std::string path = join_path(prefix, name);
    const YAML::Node& value = item.second;

    if (sections_.count(path)) {
      if (value.IsNull()) continue;  // `SECTION:` with nothing below it
      if (!value.IsMap()) {
        throw ConfigError(where + ": '" + path +
                          "' is a section of the config and needs a mapping of keys, got " +
                          node_text(value));
      }
      merge_mapping(value, path, source);
    } else if (entries_.count(path)) {
      assign(path, value, where);
    } else if (in_open_section(path)) {
      if (value.IsMap()) {
        add_section(path, true);
        merge_mapping(value, path, source);
      } else {
        assign(path, value, where);
      }
    } else {
      throw unknown_key(where, path);
    }
  }
}

void Config::assign(const std::string& path, const YAML::Node& node, const std::string& where) {
  auto it = entries_.find(path);
  if (it == entries_.end()) {
    // A new key below an open section (MODEL.SPEC); missing intermediate sections are created.
    for (std::string section = parent_of(path); !sections_.count(section); section = parent_of(section)) {
      if (entries_.count(section)) throw ConfigError(where + ": '" + section + "' is a key, not a section");
    }
    std::vector<std::string> missing;
    for (std::string section = parent_of(path); !sections_.count(section); section = parent_of(section)) {
      missing.push_back(section);
    }
    for (auto s = missing.rbegin(); s != missing.rend(); ++s) add_section(*s, true);
    ConfigEntry created;
    created.free_form = true;
    created.nullable = true;
    created.value = infer_value(node, path, where);
    created.kind = kind_of(created.value);
    entries_[path] = created;
    order_.push_back(path);
    return;
  }
  ConfigEntry& target = it->second;
  if (target.free_form) {
    target.value = infer_value(node, path, where);
    target.kind = kind_of(target.value);
    return;
  }
  target.value = convert_for_entry(node, target, path, where);
}

bool Config::in_open_section(const std::string& path) const {
  for (std::string section = parent_of(path); !section.empty(); section = parent_of(section)) {
    auto it = sections_.find(section);
    if (it != sections_.end() && it->second) return true;
  }
  return false;
}

void Config::merge_opts(const std::vector<std::string>& key_values) {
  if (key_values.size() % 2 != 0) {
    throw ConfigError(std::string(kCommandLine) + ": overrides must be KEY VALUE pairs, got " +
                      std::to_string(key_values.size()) + " items (last: '" + key_values.back() + "')");
  }
  Config merged = *this;
  for (size_t i = 0; i < key_values.size(); i += 2) merged.set(key_values[i], key_values[i + 1]);
  *this = std::move(merged);
}

void Config::set(const std::string& dotted_key, const std::string& yaml_value) {
  const std::string where = kCommandLine;
  if (sections_.count(dotted_key)) {
    throw ConfigError(where + ": '" + dotted_key + "' is a section of the config, not a key");
  }
  auto it = entries_.find(dotted_key);
  if (it == entries_.end() && !in_open_section(dotted_key)) {
    throw unknown_key(where, dotted_key);
  }
  const bool wants_string =
      it != entries_.end() && !it->second.free_form && it->second.kind == ValueKind::String;

  std::string text = trim(yaml_value);
  YAML::Node node;
  if (text == "None") {
    node = YAML::Node(YAML::NodeType::Null);  // Python's spelling, as the original's command line
  } else if (wants_string && text.empty()) {
    node = YAML::Node(std::string());
    node.SetTag("!");
  } else {
    // Python tuples, e.g. TRAIN.OPTIMIZER.BETAS "(0.9, 0.99)", are lists.
    if (text.size() >= 2 && text.front() == '(' && text.back() == ')') {
      text = "[" + text.substr(1, text.size() - 2) + "]";
    }
    try {
      node = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      if (!wants_string) {
        throw ConfigError(where + ": value '" + yaml_value + "' of config key '" + dotted_key +
                          "' is not valid YAML: " + e.msg);
      }
      node = YAML::Node();
    }
    // Text that is not a YAML scalar is taken as it is for a string key (as literal_eval's fallback).
    if (wants_string && (!node.IsDefined() || node.IsMap() || node.IsSequence())) {
      node = YAML::Node(trim(yaml_value));
      node.SetTag("!");
    }
  }
  assign(dotted_key, node, where);
}

void Config::add_section(const std::string& path, bool new_keys_allowed) {
  if (!sections_.count(path)) order_.push_back(path);
  sections_[path] = new_keys_allowed;
}

void Config::add_key(const std::string& path, ConfigValue value, ValueKind kind, bool nullable,
                     std::vector<std::string> choices) {
  ConfigEntry created;
  created.kind = kind;
  created.value = std::move(value);
  created.nullable = nullable;
  created.choices = std::move(choices);
  if (!entries_.count(path)) order_.push_back(path);
  entries_[path] = std::move(created);
}

void Config::add_key(const std::string& path, ConfigValue value, std::vector<std::string> choices) {
  ValueKind kind = kind_of(value);
  add_key(path, std::move(value), kind, false, std::move(choices));
}

const ConfigEntry& Config::entry(const std::string& dotted_key) const {
  auto it = entries_.find(dotted_key);
  if (it != entries_.end()) return it->second;
  if (sections_.count(dotted_key))
    throw ConfigError("'" + dotted_key + "' is a section of the config, not a key");
  throw unknown_key("", dotted_key);
}

ConfigError Config::unknown_key(const std::string& where, const std::string& path) const {
  std::string message = (where.empty() ? "" : where + ": ") + "unknown config key '" + path + "'";
  // The nearest known key, for typos.
  std::string best;
  size_t best_distance = 4;
  for (const auto& [known, unused] : entries_) {
    // The length difference bounds the distance from below: most keys are skipped without the quadratic
    // distance, and a key of a hostile file megabytes long costs no more than one pass over the schema.
    const size_t length_gap =
        known.size() > path.size() ? known.size() - path.size() : path.size() - known.size();
    if (length_gap >= best_distance) continue;
    size_t distance = edit_distance(known, path);
    if (distance < best_distance) best_distance = distance, best = known;
  }
  if (!best.empty()) message += " (did you mean '" + best + "'?)";
  return ConfigError(message);
}

template <class T>
std::optional<T> Config::get_optional(const std::string& dotted_key) const {
  const ConfigValue& value = entry(dotted_key).value;
  if (kind_of(value) == ValueKind::Null) return std::nullopt;
  std::optional<T> result = extract<T>(value);
  if (!result) {
    throw ConfigError("config key '" + dotted_key + "' holds " + kind_name(kind_of(value)) + " (" +
                      value_to_yaml(value) + "), not " + kind_name(kind_for<T>()));
  }
  return result;
}

template <class T>
T Config::get(const std::string& dotted_key) const {
  std::optional<T> value = get_optional<T>(dotted_key);
  if (!value) throw ConfigError("config key '" + dotted_key + "' is null (unset)");
  return *value;
}

bool Config::has(const std::string& dotted_key) const {
  return entries_.count(dotted_key) > 0 || sections_.count(dotted_key) > 0;
}

bool Config::is_null(const std::string& dotted_key) const {
  return kind_of(entry(dotted_key).value) == ValueKind::Null;
}

std::vector<std::string> Config::keys() const {
  std::vector<std::string> names;
  for (const auto& path : order_) {
    if (entries_.count(path)) names.push_back(path);
  }
  return names;
}

template int64_t Config::get<int64_t>(const std::string&) const;
template double Config::get<double>(const std::string&) const;
template bool Config::get<bool>(const std::string&) const;
template std::string Config::get<std::string>(const std::string&) const;
template std::vector<int64_t> Config::get<std::vector<int64_t>>(const std::string&) const;
template std::vector<double> Config::get<std::vector<double>>(const std::string&) const;
template std::vector<std::string> Config::get<std::vector<std::string>>(const std::string&) const;
template std::optional<int64_t> Config::get_optional<int64_t>(const std::string&) const;
template std::optional<double> Config::get_optional<double>(const std::string&) const;
template std::optional<bool> Config::get_optional<bool>(const std::string&) const;
template std::optional<std::string> Config::get_optional<std::string>(const std::string&) const;
template std::optional<std::vector<int64_t>> Config::get_optional<std::vector<int64_t>>(
    const std::string&) const;
template std::optional<std::vector<double>> Config::get_optional<std::vector<double>>(
    const std::string&) const;
template std::optional<std::vector<std::string>> Config::get_optional<std::vector<std::string>>(
    const std::string&) const;

}  // namespace focal
