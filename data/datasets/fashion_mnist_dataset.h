#pragma once
// Fashion-MNIST (or MNIST) from its IDX files, gzip-compressed or not:
// <root>/{train,t10k}-images-idx3-ubyte[.gz] and -labels-idx1-ubyte[.gz]. Images are 28x28 grayscale,
// kept decoded in memory; 10 classes.
#include "data/datasets/dataset.h"

#include <filesystem>
#include <vector>

namespace focal::data {

class FashionMnistDataset : public Dataset {
 public:
  // train = true reads the 60000 training images, false the 10000 test images. Throws
  // std::runtime_error naming the file for missing files, bad magic numbers or truncated data.
  FashionMnistDataset(const std::filesystem::path& root, bool train);

  int64_t size() const override { return count_; }
  int64_t num_classes() const override { return 10; }
  RawSample get(int64_t index) const override;
  std::string describe(int64_t index) const override;
  int64_t label(int64_t index) const { return labels_.at(static_cast<size_t>(index)); }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

 private:
  std::filesystem::path images_path_;
  int64_t count_ = 0, rows_ = 0, cols_ = 0;
  std::vector<uint8_t> pixels_;
  std::vector<uint8_t> labels_;
};

}  // namespace focal::data
