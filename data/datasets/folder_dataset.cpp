#include "data/datasets/folder_dataset.h"

#include "data/datasets/file_io.h"

#include "data/loading/log.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace focal::data {
namespace fs = std::filesystem;

bool has_image_extension(const std::string& filename) {
  static const char* const kExtensions[] = {".jpg", ".jpeg", ".png",  ".ppm", ".bmp",
                                            ".pgm", ".tif",  ".tiff", ".webp"};
  std::string lower = filename;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* ext : kExtensions) {
    const std::string e(ext);
    if (lower.size() >= e.size() && lower.compare(lower.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

namespace {

// Every directory under `dir` (itself included), following symbolic links like os.walk(followlinks=True).
void collect_dirs(const fs::path& dir, std::vector<fs::path>& out, int depth) {
  if (depth > 64)
    throw std::runtime_error(dir.string() + ": folders nested too deeply (a symbolic link loop?)");
  out.push_back(dir);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) collect_dirs(entry.path(), out, depth + 1);
  }
}

}  // namespace

FolderDataset::FolderDataset(const fs::path& root) : root_(root) {
  std::error_code ec;
  if (!fs::exists(root, ec))
    throw std::runtime_error("image folder dataset: root '" + root.string() + "' does not exist");
  if (!fs::is_directory(root, ec))
    throw std::runtime_error("image folder dataset: root '" + root.string() + "' is not a folder");
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory()) classes_.push_back(entry.path().filename().string());
  }
  if (ec)
    throw std::runtime_error("image folder dataset: cannot list '" + root.string() + "': " + ec.message());
  std::sort(classes_.begin(), classes_.end());
  if (classes_.empty())
    throw std::runtime_error("image folder dataset: no class folders in '" + root.string() + "'");

  for (size_t label = 0; label < classes_.size(); ++label) {
    std::vector<fs::path> dirs;
    collect_dirs(root / classes_[label], dirs, 0);
    std::sort(dirs.begin(), dirs.end(),
              [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });
    const size_t before = files_.size();
    for (const fs::path& dir : dirs) {
      std::vector<std::string> names;
      for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (!entry.is_directory(ec) && has_image_extension(entry.path().filename().string())) {
          names.push_back(entry.path().filename().string());
        }
      }
      std::sort(names.begin(), names.end());
      for (const auto& name : names) {
        files_.push_back(dir / name);
        labels_.push_back(static_cast<int64_t>(label));
      }
    }
    if (files_.size() == before) {
      log_warning("image folder dataset: class folder '" + (root / classes_[label]).string() +
                  "' holds no image; its label " + std::to_string(label) + " has no samples");
    }
  }
  if (files_.empty())
    throw std::runtime_error("image folder dataset: no image files under '" + root.string() + "'");
}

RawSample FolderDataset::get(int64_t index) const {
  RawSample s;
  s.bytes = read_file(path(index));
  s.label = label(index);
  s.name = path(index).string();
  return s;
}

std::string FolderDataset::describe(int64_t index) const { return path(index).string(); }

}  // namespace focal::data
