#include "data/datasets/file_list_dataset.h"

#include "data/datasets/file_io.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>

namespace focal::data {
namespace fs = std::filesystem;

FileListDataset::FileListDataset(const fs::path& list_file, std::optional<fs::path> root,
                                 std::optional<int64_t> num_classes) {
  std::ifstream in(list_file);
  if (!in) throw std::runtime_error("file list dataset: cannot open list '" + list_file.string() + "'");
  const fs::path base = root.value_or(list_file.parent_path());
  std::string line;
  int64_t line_no = 0, max_label = -1;
  while (std::getline(in, line)) {
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t split = line.find_last_of(" \t");
    auto bad = [&](const std::string& why) {
      return std::runtime_error("file list dataset: " + list_file.string() + ":" + std::to_string(line_no) +
                                ": " + why);
    };
    if (split == std::string::npos || split < start) throw bad("expected '<path> <label>'");
    const std::string path = line.substr(start, line.find_last_not_of(" \t", split) + 1 - start);
    const std::string label_text = line.substr(split + 1);
    size_t used = 0;
    int64_t label = -1;
    try {
      label = std::stoll(label_text, &used);
    } catch (const std::exception&) {
      throw bad("label '" + label_text + "' is not an integer");
    }
    if (used != label_text.size() || label < 0)
      throw bad("label '" + label_text + "' is not a non-negative integer");
    const fs::path p(path);
    files_.push_back(p.is_absolute() ? p : base / p);
    labels_.push_back(label);
    max_label = std::max(max_label, label);
  }
  if (files_.empty())
    throw std::runtime_error("file list dataset: '" + list_file.string() + "' lists no file");
  num_classes_ = num_classes.value_or(max_label + 1);
  if (max_label >= num_classes_) {
    throw std::runtime_error("file list dataset: '" + list_file.string() + "' has label " +
                             std::to_string(max_label) + " but only " + std::to_string(num_classes_) +
                             " classes");
  }
}

RawSample FileListDataset::get(int64_t index) const {
  RawSample s;
  const fs::path& p = files_.at(static_cast<size_t>(index));
  s.bytes = read_file(p);
  s.label = label(index);
  s.name = p.string();
  return s;
}

std::string FileListDataset::describe(int64_t index) const {
  return files_.at(static_cast<size_t>(index)).string();
}

}  // namespace focal::data
