#include "eval/evaluator/eval_dataset.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

namespace focal::eval {

std::vector<std::string> read_class_map(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--class-map " + path.string() + ": cannot open the file");
  std::vector<std::string> names;
  std::map<std::string, int64_t> seen;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    const std::string name = line.substr(first, last - first + 1);
    if (!seen.emplace(name, number).second) {
      throw std::runtime_error("--class-map " + path.string() + " line " + std::to_string(number) +
                               ": class '" + name + "' already given on line " + std::to_string(seen[name]));
    }
    names.push_back(name);
  }
  if (names.empty())
    throw std::runtime_error("--class-map " + path.string() + ": no class names in the file");
  return names;
}

std::vector<int64_t> class_map_labels(const std::vector<std::string>& folder_classes,
                                      const std::vector<std::string>& class_map,
                                      const std::string& map_file) {
  std::map<std::string, int64_t> position;
  for (size_t i = 0; i < class_map.size(); ++i) position[class_map[i]] = static_cast<int64_t>(i);
  std::vector<int64_t> labels;
  for (const auto& name : folder_classes) {
    const auto it = position.find(name);
    if (it == position.end()) {
      throw std::runtime_error("--class-map " + map_file + ": the data set's class folder '" + name +
                               "' is not in the map (" + std::to_string(class_map.size()) + " names)");
    }
    labels.push_back(it->second);
  }
  return labels;
}

EvalDataset::EvalDataset(std::shared_ptr<const data::Dataset> inner, int64_t limit,
                         std::vector<int64_t> label_map, std::optional<int64_t> num_classes)
    : inner_(std::move(inner)), label_map_(std::move(label_map)) {
  if (!inner_) throw std::invalid_argument("EvalDataset: no dataset");
  size_ = limit > 0 ? std::min(limit, inner_->size()) : inner_->size();
  num_classes_ = num_classes.value_or(inner_->num_classes());
  if (!label_map_.empty() && static_cast<int64_t>(label_map_.size()) != inner_->num_classes()) {
    throw std::invalid_argument("EvalDataset: the label map has " + std::to_string(label_map_.size()) +
                                " entries for " + std::to_string(inner_->num_classes()) + " classes");
  }
}

data::RawSample EvalDataset::get(int64_t index) const {
  if (index < 0 || index >= size_) throw std::out_of_range("EvalDataset: index " + std::to_string(index));
  data::RawSample s = inner_->get(index);
  if (!label_map_.empty() && s.label >= 0) s.label = label_map_.at(static_cast<size_t>(s.label));
  return s;
}

}  // namespace focal::eval
