#pragma once
// Packs a dataset of encoded image files into WebDataset tar shards "<prefix>-000000.tar", ... with members
// "<key>.<ext>" and "<key>.cls", plus classes.txt when class names are given. Each shard is written under a
// temporary name and renamed when complete.
#include "data/datasets/dataset.h"

#include <torch/arg.h>

#include <filesystem>
#include <string>
#include <vector>

namespace focal::data {

struct ShardWriterOptions {
  TORCH_ARG(std::string, prefix) = "shard";
  TORCH_ARG(int64_t, samples_per_shard) = 1000;
  // Samples are written in a random order (seeded) so that each shard mixes classes.
  TORCH_ARG(bool, shuffle) = true;
  TORCH_ARG(uint64_t, seed) = 0;
};

struct ShardWriteResult {
  int64_t shards = 0;
  int64_t samples = 0;
  int64_t bytes = 0;
};

// `source` must hand over encoded files (RawSample::bytes). Throws std::runtime_error when a sample
// cannot be read or the output cannot be written.
ShardWriteResult write_shards(const Dataset& source, const std::filesystem::path& out_dir,
                              const ShardWriterOptions& options,
                              const std::vector<std::string>& class_names = {});

}  // namespace focal::data
