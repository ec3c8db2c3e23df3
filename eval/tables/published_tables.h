#pragma once
// The published tables focal-tables reproduces (eval/tables/published_tables.yaml): per table its title,
// source and how its numbers were checked, per row a label, the configuration of that row and the published
// values.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace focal::eval {

struct PublishedRow {
  std::string label;
  std::string config;                    // path relative to the repository root
  std::map<std::string, double> values;  // params_m, gflops, top1, top5, throughput (those published)
  std::optional<double> value(const std::string& key) const;
};

struct PublishedTable {
  std::string id, title, source, verified;
  std::vector<PublishedRow> rows;
};

// The columns a row may publish, in table order.
const std::vector<std::string>& published_keys();

// Throws naming the file and the entry for a malformed file or an unknown key.
std::vector<PublishedTable> read_published_tables(const std::filesystem::path& path);

}  // namespace focal::eval
