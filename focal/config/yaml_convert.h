#pragma once
// YAML nodes -> typed config values with yacs' type rules: the value must have the kind of the key's
// default, except that an integer is accepted for a float and integers for a list of floats. Errors name the
// key, the expected type, the value and where it came from.
#include "focal/config/config_value.h"

#include <yaml-cpp/yaml.h>

#include <string>

namespace focal {

// A scalar node's value: quoted or `!!str` -> string, plain -> PyYAML's resolution (yaml_scalar.h).
ConfigValue scalar_value(const YAML::Node& scalar);

// `node` checked against and converted to the kind of `entry`. `where` names the source, e.g.
// "configs/a.yaml:12" or "command line".
ConfigValue convert_for_entry(const YAML::Node& node, const ConfigEntry& entry, const std::string& key,
                              const std::string& where);

// Value of a key without a schema (below MODEL.SPEC): its kind is whatever the node holds.
ConfigValue infer_value(const YAML::Node& node, const std::string& key, const std::string& where);

// Single-line text of a node for messages.
std::string node_text(const YAML::Node& node);

}  // namespace focal
