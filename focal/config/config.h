#pragma once
// The training/evaluation configuration: the original Focal Transformer's yacs schema (config.py of
// microsoft/Focal-Transformer) with its defaults, plus this project's additions (listed with a comment each
// in config_defaults.cpp). Original YAML files load unchanged; semantics follow yacs:
//  - merge_file: keys of the file replace the current values; `BASE: ['a.yaml', ...]` (paths relative to the
//    file) are merged first, recursively, with cycle detection;
//  - a key absent from the schema is an error (except below MODEL.SPEC, which accepts new keys);
//  - a value must have the type of the key's default (an integer is accepted where a float is expected);
//  - every error is a focal::ConfigError naming the key and the file (or "command line").
// Values are plain YAML; command-line values may also use Python's spellings (None, tuples in parentheses).
#include "focal/config/config_error.h"
#include "focal/config/config_value.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace focal {

class Config {
 public:
  // The whole original schema with the original defaults (and ours for the added keys).
  static Config defaults();
  // Defaults merged with the file (and its BASE includes).
  static Config from_file(const std::string& path);

  // Merges a YAML file: BASE files first (relative to this file), then the file's own keys. On error the
  // configuration is left unchanged.
  void merge_file(const std::string& path);
  // Merges KEY VALUE pairs, e.g. {"TRAIN.EPOCHS", "10", "MODEL.FOCAL.DEPTHS", "[2,2,6,2]"} (yacs
  // merge_from_list). On error the configuration is left unchanged.
  void merge_opts(const std::vector<std::string>& key_values);
  // Sets one key from its YAML text ("10", "[2, 2]", "fc", "null"), with the same checks as merge_opts.
  void set(const std::string& dotted_key, const std::string& yaml_value);

  // Typed read. T is one of int64_t, double (also reads integer keys), bool, std::string,
  // std::vector<int64_t>, std::vector<double> (also reads integer lists), std::vector<std::string>.
  // Throws ConfigError for an unknown key, a section, a null value or another type.
  template <class T>
  T get(const std::string& dotted_key) const;
  // As get, but a null value (yacs None) gives nullopt.
  template <class T>
  std::optional<T> get_optional(const std::string& dotted_key) const;
  // True for a key or a section of the configuration.
  bool has(const std::string& dotted_key) const;
  // True when the key holds null (yacs None). Throws for an unknown key.
  bool is_null(const std::string& dotted_key) const;
  // Dotted names of all keys (not sections), in schema order.
  std::vector<std::string> keys() const;

  // The fully resolved configuration as YAML (original layout and key order), readable by merge_file and by
  // the original Python code.
  std::string dump() const;
  // Writes dump() to `path` through a temporary file and a rename.
  void save(const std::string& path) const;

 private:
  Config() = default;

  // Schema construction (config_defaults.cpp).
  void add_section(const std::string& path, bool new_keys_allowed = false);
  void add_key(const std::string& path, ConfigValue value, ValueKind kind, bool nullable = false,
               std::vector<std::string> choices = {});
  void add_key(const std::string& path, ConfigValue value, std::vector<std::string> choices = {});

  // `files_read` counts the files one merge_file reads (BASE includes of includes), which is capped.
  void merge_file_into(const std::string& path, std::vector<std::string>& include_stack, int64_t& files_read);
  void merge_mapping(const YAML::Node& mapping, const std::string& prefix, const std::string& source);
  // Assigns `node` to the key `path` (creating it below an open section); `where` is for messages.
  void assign(const std::string& path, const YAML::Node& node, const std::string& where);
  const ConfigEntry& entry(const std::string& dotted_key) const;
  bool in_open_section(const std::string& path) const;
  // The error for a key absent from the schema, with the nearest known key as a hint.
  ConfigError unknown_key(const std::string& where, const std::string& path) const;

  // Sections and keys in declaration order (dump follows it).
  std::vector<std::string> order_;
  std::map<std::string, ConfigEntry> entries_;
  // Section path -> whether new keys may be added below it.
  std::map<std::string, bool> sections_;
};

extern template int64_t Config::get<int64_t>(const std::string&) const;
extern template double Config::get<double>(const std::string&) const;
extern template bool Config::get<bool>(const std::string&) const;
extern template std::string Config::get<std::string>(const std::string&) const;
extern template std::vector<int64_t> Config::get<std::vector<int64_t>>(const std::string&) const;
extern template std::vector<double> Config::get<std::vector<double>>(const std::string&) const;
extern template std::vector<std::string> Config::get<std::vector<std::string>>(const std::string&) const;
extern template std::optional<int64_t> Config::get_optional<int64_t>(const std::string&) const;
extern template std::optional<double> Config::get_optional<double>(const std::string&) const;
extern template std::optional<bool> Config::get_optional<bool>(const std::string&) const;
extern template std::optional<std::string> Config::get_optional<std::string>(const std::string&) const;
extern template std::optional<std::vector<int64_t>> Config::get_optional<std::vector<int64_t>>(
    const std::string&) const;
extern template std::optional<std::vector<double>> Config::get_optional<std::vector<double>>(
    const std::string&) const;
extern template std::optional<std::vector<std::string>> Config::get_optional<std::vector<std::string>>(
    const std::string&) const;

}  // namespace focal
