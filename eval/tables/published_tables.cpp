#include "eval/tables/published_tables.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

namespace focal::eval {

std::optional<double> PublishedRow::value(const std::string& key) const {
  const auto it = values.find(key);
  return it == values.end() ? std::nullopt : std::optional<double>(it->second);
}

const std::vector<std::string>& published_keys() {
  static const std::vector<std::string> keys = {"params_m", "gflops", "top1", "top5", "throughput"};
  return keys;
}

std::vector<PublishedTable> read_published_tables(const std::filesystem::path& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(path.string() + ": cannot read the published tables (" + e.what() + ")");
  }
  const auto tables = root["tables"];
  if (!tables || !tables.IsSequence()) throw std::runtime_error(path.string() + ": no 'tables' list");
  std::vector<PublishedTable> out;
  for (size_t t = 0; t < tables.size(); ++t) {
    const auto node = tables[t];
    const std::string where = path.string() + " table " + std::to_string(t);
    auto text = [&](const YAML::Node& n, const std::string& key, const std::string& at) {
      if (!n[key] || !n[key].IsScalar()) throw std::runtime_error(at + ": missing '" + key + "'");
      return n[key].as<std::string>();
    };
    PublishedTable table;
    table.id = text(node, "id", where);
    table.title = text(node, "title", where);
    table.source = text(node, "source", where);
    table.verified = text(node, "verified", where);
    const auto rows = node["rows"];
    if (!rows || !rows.IsSequence()) throw std::runtime_error(where + " (" + table.id + "): no 'rows' list");
    for (size_t r = 0; r < rows.size(); ++r) {
      const std::string at = where + " (" + table.id + ") row " + std::to_string(r);
      PublishedRow row;
      for (const auto& kv : rows[r]) {
        const auto key = kv.first.as<std::string>();
        if (key == "label") {
          row.label = kv.second.as<std::string>();
        } else if (key == "config") {
          row.config = kv.second.as<std::string>();
        } else if (std::find(published_keys().begin(), published_keys().end(), key) !=
                   published_keys().end()) {
          try {
            row.values[key] = kv.second.as<double>();
          } catch (const YAML::Exception&) {
            throw std::runtime_error(at + ": '" + key + "' is not a number");
          }
        } else {
          throw std::runtime_error(at + ": unknown key '" + key + "'");
        }
      }
      if (row.label.empty() || row.config.empty())
        throw std::runtime_error(at + ": needs a label and a config");
      table.rows.push_back(row);
    }
    out.push_back(table);
  }
  return out;
}

}  // namespace focal::eval
