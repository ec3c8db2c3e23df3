// Config::dump and Config::save: the resolved configuration as block-style YAML with flow lists, in the
// original's key order, and its atomic writing.
#include "focal/config/config.h"
#include "focal/config/yaml_scalar.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace focal {
namespace {

std::string parent_of(const std::string& path) {
  auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string leaf_name(const std::string& path) {
  auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

struct DumpTree {
  const std::map<std::string, std::vector<std::string>>& children;
  const std::map<std::string, ConfigEntry>& entries;

  void emit(const std::string& section, int indent, std::string& out) const {
    auto it = children.find(section);
    if (it == children.end()) return;
    for (const auto& path : it->second) {
      // Keys below open sections (MODEL.SPEC) are free text: quoted when plain YAML would read them as
      // something else (an alias "*x", a flow mapping, a comment).
      out += std::string(indent, ' ') + format_string(leaf_name(path)) + ":";
      if (auto entry = entries.find(path); entry != entries.end()) {
        out += " " + value_to_yaml(entry->second.value) + "\n";
      } else if (children.count(path)) {
        out += "\n";
        emit(path, indent + 2, out);
      } else {
        out += " {}\n";  // a section without keys (MODEL.SPEC by default)
      }
    }
  }
};

}  // namespace

std::string Config::dump() const {
  std::map<std::string, std::vector<std::string>> children;
  for (const auto& path : order_) children[parent_of(path)].push_back(path);
  std::string out;
  DumpTree{children, entries_}.emit("", 0, out);
  return out;
}

void Config::save(const std::string& path) const {
  namespace fs = std::filesystem;
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) {
      throw ConfigError("cannot write config file '" + path + "': " + std::strerror(errno));
    }
    file << dump();
    file.flush();
    if (!file) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      throw ConfigError("cannot write config file '" + path + "': write failed");
    }
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw ConfigError("cannot write config file '" + path + "': " + ec.message());
  }
}

}  // namespace focal
