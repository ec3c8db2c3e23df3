#pragma once
// The evaluation set as focal-eval reads it: a dataset of the data library seen through --limit (its first
// N images, in dataset order) and --class-map (labels renumbered by the order of a file of class names, for
// folder layouts whose sorted folder names are not the model's class order).
#include "data/datasets/dataset.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace focal::eval {

// One class name per line (blank lines and '#' comments skipped), the line's position being the class
// index, as timm's --class-map. Throws naming the file for a missing file, an empty one or a repeated name.
std::vector<std::string> read_class_map(const std::filesystem::path& path);

class EvalDataset : public data::Dataset {
 public:
  // `limit` <= 0 keeps every image. `label_map[i]` is the label of the inner dataset's class i (empty: as
  // they are); `num_classes` then is the class map's size.
  EvalDataset(std::shared_ptr<const data::Dataset> inner, int64_t limit, std::vector<int64_t> label_map = {},
              std::optional<int64_t> num_classes = std::nullopt);
  int64_t size() const override { return size_; }
  int64_t num_classes() const override { return num_classes_; }
  data::RawSample get(int64_t index) const override;
  std::string describe(int64_t index) const override { return inner_->describe(index); }
  const data::Dataset& inner() const { return *inner_; }

 private:
  std::shared_ptr<const data::Dataset> inner_;
  int64_t size_ = 0;
  std::vector<int64_t> label_map_;
  int64_t num_classes_ = 0;
};

// Labels of a folder dataset's sorted class folders in the order of `class_map` (from `map_file`). Throws
// naming the folder and the file when a folder is not in the map.
std::vector<int64_t> class_map_labels(const std::vector<std::string>& folder_classes,
                                      const std::vector<std::string>& class_map, const std::string& map_file);

}  // namespace focal::eval
