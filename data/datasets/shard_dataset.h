#pragma once
// WebDataset-style tar shards: every sample is "<key>.<image extension>" plus "<key>.cls" (the label in
// decimal) stored next to each other; shards are the folder's *.tar files in name order
// (e.g. train-000000.tar). Opening indexes the shards by reading their headers and label members only.
// A training epoch streams the shards in an order shuffled per epoch and passes the samples through an
// in-memory shuffle buffer; reads then stay close to sequential inside each shard.
#include "data/datasets/dataset.h"

#include <torch/arg.h>

#include <filesystem>
#include <string>
#include <vector>

namespace focal::data {

struct ShardDatasetOptions {
  // Samples held by the shuffle buffer (WebDataset's shuffle(n)); 1 keeps the stream order.
  TORCH_ARG(int64_t, shuffle_buffer) = 4096;
};

// WebDataset's key and extension of a member name: "dir/abc.seg.jpg" -> ("dir/abc", "seg.jpg").
std::pair<std::string, std::string> split_member_name(const std::string& name);

class ShardDataset : public Dataset {
 public:
  // Throws std::runtime_error when the folder has no .tar file, a shard is corrupt, or a sample lacks
  // its image or .cls member.
  explicit ShardDataset(const std::filesystem::path& folder, ShardDatasetOptions options = {});
  ~ShardDataset() override;

  int64_t size() const override { return static_cast<int64_t>(samples_.size()); }
  int64_t num_classes() const override { return num_classes_; }
  RawSample get(int64_t index) const override;
  std::string describe(int64_t index) const override;
  // shuffle: shard order permuted with Rng(seed, epoch), then the shuffle buffer; else stream order.
  std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, bool shuffle) const override;

  int64_t num_shards() const { return static_cast<int64_t>(shards_.size()); }
  int64_t label(int64_t index) const { return samples_.at(static_cast<size_t>(index)).label; }
  const std::string& key(int64_t index) const { return samples_.at(static_cast<size_t>(index)).key; }

 private:
  struct Entry {
    int32_t shard = 0;
    int64_t offset = 0;
    int64_t size = 0;
    int64_t label = 0;
    std::string key;
  };
  ShardDatasetOptions options_;
  std::vector<std::filesystem::path> shards_;
  std::vector<int> fds_;
  std::vector<int64_t> shard_begin_;  // first sample index of each shard (plus the end)
  std::vector<Entry> samples_;
  int64_t num_classes_ = 0;
};

}  // namespace focal::data
