#pragma once
// The threaded batch loader. Worker threads decode and transform samples straight into the batch tensors
// (pinned when CUDA is available); at most `prefetch_batches` batches are in flight. Every sample's
// randomness comes from (seed, epoch, dataset index), so batches do not depend on the number of workers,
// and the position (epoch, next batch) is all it takes to resume.
#include "data/datasets/dataset.h"
#include "data/decode/image_decoder.h"
#include "data/transforms/transforms.h"

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace focal::data {

struct Batch {
  torch::Tensor images;   // (B, C, H, W) float32
  torch::Tensor labels;   // (B,) int64
  torch::Tensor indices;  // (B,) int64: the dataset index of each row (stays on the CPU)
  torch::Tensor valid;    // (B,) bool: false for a row whose sample could not be read (skip_unreadable)
};

struct LoaderState {
  int64_t epoch = 0;
  int64_t next_batch = 0;
};

class Loader {
 public:
  virtual ~Loader() = default;
  virtual void set_epoch(int64_t epoch) = 0;  // restarts iteration for that epoch at batch 0
  virtual std::optional<Batch> next() = 0;    // nullopt at the end of the epoch
  virtual int64_t batches_per_epoch() const = 0;
  virtual int64_t num_samples() const = 0;  // this rank's samples per epoch
  virtual LoaderState state() const = 0;    // position to resume from (epoch, next batch not yet returned)
  virtual void restore(const LoaderState& s) = 0;  // next() then yields batch s.next_batch of epoch s.epoch
  virtual int64_t skipped_files() const = 0;       // corrupt/unreadable files met so far
  virtual int64_t num_classes() const = 0;
};

// Copies a batch to `device` without blocking the host (the source is pinned when it came from a loader
// on a CUDA machine).
Batch to_device(const Batch& batch, const torch::Device& device);

struct LoaderOptions {
  TORCH_ARG(int64_t, batch_size) = 128;
  // 0 decodes in the thread calling next().
  TORCH_ARG(int64_t, num_workers) = 8;
  TORCH_ARG(int64_t, prefetch_batches) = 4;
  TORCH_ARG(bool, shuffle) = true;
  // Training: DistributedSampler drop_last (equal disjoint shares) and no partial last batch.
  TORCH_ARG(bool, drop_last) = true;
  // Evaluation: every sample on exactly one rank, no padding (ranks may get one sample less); drop_last is
  // then ignored and the last batch may be partial.
  TORCH_ARG(bool, exact_shares) = false;
  TORCH_ARG(bool, pin_memory) = true;
  TORCH_ARG(uint64_t, seed) = 0;
  TORCH_ARG(int64_t, rank) = 0;
  TORCH_ARG(int64_t, world_size) = 1;
  // Unreadable samples replaced in a row before a batch fails.
  TORCH_ARG(int64_t, max_substitutions) = 16;
  // Decompression-bomb guard of every worker's ImageDecoder (pixels of the file's full-size image).
  TORCH_ARG(int64_t, max_image_pixels) = kDefaultMaxImagePixels;
  // Once more distinct files than this share of the data set proved unreadable, next() throws.
  TORCH_ARG(double, max_unreadable_share) = 0.05;
  // Evaluation: an unreadable sample is not replaced by another (which would count that one twice); its row
  // is zeros with label -1 and valid false, and it is counted in skipped_files().
  TORCH_ARG(bool, skip_unreadable) = false;
};

class DataLoader : public Loader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const SampleTransform> transform,
             LoaderOptions options);
  ~DataLoader() override;
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  void set_epoch(int64_t epoch) override;
  std::optional<Batch> next() override;
  int64_t batches_per_epoch() const override;
  int64_t num_samples() const override;
  LoaderState state() const override;
  void restore(const LoaderState& s) override;
  int64_t skipped_files() const override;
  int64_t num_classes() const override { return dataset_->num_classes(); }

  // Dataset indices of this rank's epoch, in order (for tests and tools).
  std::vector<int64_t> epoch_indices(int64_t epoch) const;

 private:
  struct Slot {
    torch::Tensor images;
    torch::Tensor labels;
    torch::Tensor indices;
    torch::Tensor valid;
    int64_t remaining = 0;
    std::exception_ptr error;
  };
  void reset_locked(int64_t epoch, int64_t first_batch);
  int64_t batch_rows(int64_t batch) const;
  Slot& slot_locked(int64_t batch);
  // Where one sample goes: its row of the batch tensors (which the caller keeps alive).
  struct RowOut {
    float* image;
    int64_t* label;
    int64_t* index;
    bool* valid;
  };
  static RowOut row_out(const Slot& slot, int64_t row, int64_t image_size);
  // Decodes the sample at epoch position `pos` (substituting unreadable ones, or with skip_unreadable
  // marking the row invalid) into `out`.
  void produce(int64_t epoch, const std::vector<int64_t>& indices, int64_t pos, ImageDecoder& decoder,
               const RowOut& out);
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const SampleTransform> transform_;
  // Throws once `unreadable` distinct files exceed LoaderOptions::max_unreadable_share of the data set.
  void check_unreadable_share(int64_t unreadable) const;
  LoaderOptions options_;
  bool pin_ = false;
  int64_t num_samples_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable ready_cv_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  int64_t epoch_ = 0;
  std::shared_ptr<const std::vector<int64_t>> indices_;
  int64_t next_task_ = 0;    // linear sample position of the next task to hand out
  int64_t next_return_ = 0;  // batch next() returns next
  std::map<int64_t, Slot> slots_;
  std::set<int64_t> bad_indices_;
  std::unique_ptr<ImageDecoder> inline_decoder_;  // for num_workers == 0
  std::vector<std::thread> workers_;
};

}  // namespace focal::data
