#include "data/datasets/fashion_mnist_dataset.h"

#include "data/decode/byte_order.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace focal::data {
namespace fs = std::filesystem;
namespace {

// The file's first `limit` bytes (or all of it when shorter), inflated when gzip-compressed (gzread passes
// plain files through). Reading stops at the limit, so a small gzip file that inflates to gigabytes (a
// "gzip bomb") costs no more memory than its header announces.
std::vector<uint8_t> read_maybe_gzip(const fs::path& path, uint64_t limit) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error(path.string() + ": cannot open");
  std::vector<uint8_t> out;
  uint8_t buffer[1 << 16];
  int n = 0;
  while (out.size() < limit &&
         (n = gzread(f, buffer,
                     static_cast<unsigned>(std::min<uint64_t>(sizeof(buffer), limit - out.size())))) > 0) {
    out.insert(out.end(), buffer, buffer + n);
  }
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

constexpr uint64_t kImageHeader = 16;  // magic, count, rows, cols (big-endian 32-bit each)
constexpr uint64_t kLabelHeader = 8;   // magic, count
constexpr int64_t kMaxSide = 1 << 16;
constexpr int64_t kMaxPixelBytes = int64_t{1} << 32;  // 4 GiB of pixels; Fashion-MNIST has 47 MB

uint32_t be32(const std::vector<uint8_t>& d, size_t at) { return read_u32(d.data() + at, /*little=*/false); }

}  // namespace

FashionMnistDataset::FashionMnistDataset(const fs::path& root, bool train) {
  if (!fs::is_directory(root))
    throw std::runtime_error("Fashion-MNIST: folder '" + root.string() + "' does not exist");
  const std::string split = train ? "train" : "t10k";
  images_path_ = find_idx(root, split + "-images-idx3-ubyte");
  const fs::path labels_path = find_idx(root, split + "-labels-idx1-ubyte");

  const std::vector<uint8_t> header = read_maybe_gzip(images_path_, kImageHeader);
  if (header.size() < kImageHeader || be32(header, 0) != 2051) {
    throw std::runtime_error(images_path_.string() + ": not an IDX image file (magic 2051 expected)");
  }
  count_ = be32(header, 4);
  rows_ = be32(header, 8);
  cols_ = be32(header, 12);
  if (rows_ < 1 || cols_ < 1 || rows_ > kMaxSide || cols_ > kMaxSide) {
    throw std::runtime_error(images_path_.string() + ": image size " + std::to_string(rows_) + "x" +
                             std::to_string(cols_) + " outside 1.." + std::to_string(kMaxSide));
  }
  int64_t pixel_bytes = 0;
  if (__builtin_mul_overflow(count_, rows_ * cols_, &pixel_bytes) || pixel_bytes > kMaxPixelBytes) {
    throw std::runtime_error(images_path_.string() + ": " + std::to_string(count_) + " images of " +
                             std::to_string(rows_) + "x" + std::to_string(cols_) + " exceed the limit of " +
                             std::to_string(kMaxPixelBytes) + " bytes");
  }
  const std::vector<uint8_t> images =
      read_maybe_gzip(images_path_, kImageHeader + static_cast<uint64_t>(pixel_bytes));
  if (images.size() < kImageHeader + static_cast<size_t>(pixel_bytes)) {
    throw std::runtime_error(images_path_.string() + ": truncated (" + std::to_string(count_) +
                             " images announced)");
  }
  pixels_.assign(images.begin() + kImageHeader, images.end());

  const std::vector<uint8_t> labels =
      read_maybe_gzip(labels_path, kLabelHeader + static_cast<uint64_t>(count_));
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
