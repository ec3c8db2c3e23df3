#pragma once
// Images listed in a text file, one "<path> <label>" per line (the label is the last field, so paths may
// contain spaces). Relative paths are taken from `root` (by default the list file's folder); blank lines
// and lines starting with '#' are skipped.
#include "data/datasets/dataset.h"

#include <filesystem>
#include <optional>
#include <vector>

namespace focal::data {

class FileListDataset : public Dataset {
 public:
  // Throws std::runtime_error naming the list file and line for a missing file or malformed line.
  // num_classes defaults to the largest label + 1.
  explicit FileListDataset(const std::filesystem::path& list_file,
                           std::optional<std::filesystem::path> root = std::nullopt,
                           std::optional<int64_t> num_classes = std::nullopt);

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  int64_t num_classes() const override { return num_classes_; }
  RawSample get(int64_t index) const override;
  std::string describe(int64_t index) const override;
  int64_t label(int64_t index) const { return labels_.at(static_cast<size_t>(index)); }

 private:
  std::vector<std::filesystem::path> files_;
  std::vector<int64_t> labels_;
  int64_t num_classes_ = 0;
};

}  // namespace focal::data
