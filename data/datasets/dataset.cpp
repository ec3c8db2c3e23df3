#include "data/datasets/dataset.h"

#include "data/loading/sampler.h"

namespace focal::data {

std::vector<int64_t> Dataset::epoch_order(uint64_t seed, int64_t epoch, bool shuffle) const {
  return shuffle ? shuffled_order(size(), seed, epoch) : sequential_order(size());
}

}  // namespace focal::data
