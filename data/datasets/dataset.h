#pragma once
// A random-access collection of labelled samples. Implementations must allow concurrent get() calls
// from the loader's worker threads.
#include "data/datasets/sample.h"

#include <cstdint>
#include <string>
#include <vector>

namespace focal::data {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual int64_t num_classes() const = 0;
  // Thread-safe. Throws std::runtime_error (naming the file) when the sample cannot be read.
  virtual RawSample get(int64_t index) const = 0;
  // A name for messages (usually the file path).
  virtual std::string describe(int64_t index) const = 0;
  // The order of one epoch before it is split across ranks. Default: torch.randperm(size) from a
  // generator seeded with seed + epoch (DistributedSampler's permutation) or 0..size-1.
  virtual std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, bool shuffle) const;
};

}  // namespace focal::data
