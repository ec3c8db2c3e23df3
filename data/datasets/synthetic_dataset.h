#pragma once
// Random images for tests and benchmarks, each a pure function of (seed, index): smooth colour gradients
// with stripes, and a uniformly drawn label.
#include "data/datasets/dataset.h"

#include <torch/arg.h>

namespace focal::data {

struct SyntheticDatasetOptions {
  TORCH_ARG(int64_t, size) = 1024;
  TORCH_ARG(int64_t, num_classes) = 1000;
  TORCH_ARG(int64_t, height) = 256;
  TORCH_ARG(int64_t, width) = 320;
  TORCH_ARG(int64_t, channels) = 3;
  TORCH_ARG(uint64_t, seed) = 0;
};

class SyntheticDataset : public Dataset {
 public:
  explicit SyntheticDataset(SyntheticDatasetOptions options);
  int64_t size() const override { return options_.size(); }
  int64_t num_classes() const override { return options_.num_classes(); }
  RawSample get(int64_t index) const override;
  std::string describe(int64_t index) const override;

 private:
  SyntheticDatasetOptions options_;
};

}  // namespace focal::data
