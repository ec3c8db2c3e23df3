#include "data/fashion_mnist_dataset.h"

#include <zlib.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace focal::data {
namespace fs = std::filesystem;
namespace {

// The whole file, inflated when gzip-compressed (gzread passes plain files through).
std::vector<uint8_t> read_maybe_gzip(const fs::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error(path.string() + ": cannot open");
  std::vector<uint8_t> out;
  uint8_t buffer[1 << 16];
  int n = 0;
  while ((n = gzread(f, buffer, sizeof(buffer))) > 0) out.insert(out.end(), buffer, buffer + n);
  int err = 0;
  const char* message = gzerror(f, &err);
  const std::string error_text = (n < 0 && message != nullptr) ? message : "";
  gzclose(f);
  if (n < 0) throw std::runtime_error(path.string() + ": corrupt gzip data: " + error_text);
  return out;
}

fs::path find_idx(const fs::path& root, const std::string& stem) {
  for (const std::string& name : {stem + ".gz", stem}) {
    if (fs::exists(root / name)) return root / name;
  }
  throw std::runtime_error("Fashion-MNIST: neither " + (root / (stem + ".gz")).string() + " nor " +
                           (root / stem).string() + " exists");
}

uint32_t be32(const std::vector<uint8_t>& d, size_t at) {
  return (uint32_t(d[at]) << 24) | (uint32_t(d[at + 1]) << 16) | (uint32_t(d[at + 2]) << 8) |
         uint32_t(d[at + 3]);
}

}  // namespace

FashionMnistDataset::FashionMnistDataset(const fs::path& root, bool train) {
  if (!fs::is_directory(root))
    throw std::runtime_error("Fashion-MNIST: folder '" + root.string() + "' does not exist");
  const std::string split = train ? "train" : "t10k";
  images_path_ = find_idx(root, split + "-images-idx3-ubyte");
  const fs::path labels_path = find_idx(root, split + "-labels-idx1-ubyte");

  const std::vector<uint8_t> images = read_maybe_gzip(images_path_);
  if (images.size() < 16 || be32(images, 0) != 2051) {
    throw std::runtime_error(images_path_.string() + ": not an IDX image file (magic 2051 expected)");
  }
  count_ = be32(images, 4);
  rows_ = be32(images, 8);
  cols_ = be32(images, 12);
  if (images.size() < 16 + static_cast<size_t>(count_ * rows_ * cols_)) {
    throw std::runtime_error(images_path_.string() + ": truncated (" + std::to_string(count_) +
                             " images announced)");
  }
  pixels_.assign(images.begin() + 16, images.begin() + 16 + count_ * rows_ * cols_);

  const std::vector<uint8_t> labels = read_maybe_gzip(labels_path);
  if (labels.size() < 8 || be32(labels, 0) != 2049) {
    throw std::runtime_error(labels_path.string() + ": not an IDX label file (magic 2049 expected)");
  }
  if (be32(labels, 4) != static_cast<uint32_t>(count_) || labels.size() < 8 + static_cast<size_t>(count_)) {
    throw std::runtime_error(labels_path.string() + ": label count does not match " + images_path_.string());
  }
  labels_.assign(labels.begin() + 8, labels.begin() + 8 + count_);
  for (uint8_t l : labels_) {
    if (l >= 10)
      throw std::runtime_error(labels_path.string() + ": label " + std::to_string(l) + " outside 0..9");
  }
}

RawSample FashionMnistDataset::get(int64_t index) const {
  if (index < 0 || index >= count_)
    throw std::out_of_range("Fashion-MNIST: index " + std::to_string(index) + " out of range");
  RawSample s;
  Image img(rows_, cols_, 1);
  std::memcpy(img.data(), pixels_.data() + index * rows_ * cols_, static_cast<size_t>(rows_ * cols_));
  s.image = std::move(img);
  s.label = labels_[static_cast<size_t>(index)];
  s.name = describe(index);
  return s;
}

std::string FashionMnistDataset::describe(int64_t index) const {
  return images_path_.string() + "[" + std::to_string(index) + "]";
}

}  // namespace focal::data
