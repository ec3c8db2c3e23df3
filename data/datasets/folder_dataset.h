#pragma once
// torchvision's ImageFolder layout: root/<class>/**/<image>. Classes are the sub-folder names sorted, each
// indexed by its position; files are found recursively, in the order of sorted(os.walk()), keeping
// ImageFolder's extensions (.jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp, case-insensitive).
// A class folder without images keeps its index (with a warning) so labels stay aligned across splits.
#include "data/datasets/dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace focal::data {

bool has_image_extension(const std::string& filename);

class FolderDataset : public Dataset {
 public:
  // Throws std::runtime_error when root is missing, has no class folders, or holds no image at all.
  explicit FolderDataset(const std::filesystem::path& root);

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  RawSample get(int64_t index) const override;
  std::string describe(int64_t index) const override;

  const std::vector<std::string>& classes() const { return classes_; }
  const std::filesystem::path& path(int64_t index) const { return files_.at(static_cast<size_t>(index)); }
  int64_t label(int64_t index) const { return labels_.at(static_cast<size_t>(index)); }

 private:
  std::filesystem::path root_;
  std::vector<std::string> classes_;
  std::vector<std::filesystem::path> files_;
  std::vector<int64_t> labels_;
};

}  // namespace focal::data
