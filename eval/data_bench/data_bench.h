#pragma once
// Throughput measurement of the data pipeline: a DataLoader over an image folder (or shards), timed over
// a number of batches after one warm-up batch, in wall-clock and process CPU time.
#include "data/loading/data_factory.h"

#include <cstdint>
#include <string>

namespace focal::bench {

struct DataBenchResult {
  std::string transform;
  int64_t images = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // user + system time of the whole process over the timed batches
  int64_t cores = 1;       // cores the workers can use: min(workers, hardware threads), 1 without workers
  double images_per_second() const { return images / wall_seconds; }
  double images_per_second_per_core() const { return images_per_second() / static_cast<double>(cores); }
  double images_per_cpu_second() const { return images / cpu_seconds; }
};

// transform: "train" (RandomResizedCrop + flip + normalise), "train-ra" (the full recipe: + RandAugment
// rand-m9-mstd0.5-inc1 + RandomErasing 0.25) or "eval" (resize 256 + centre crop 224).
DataBenchResult run_data_bench(focal::data::DataConfig cfg, const std::string& transform, int64_t batches);

}  // namespace focal::bench
