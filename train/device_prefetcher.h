#pragma once
// Batches on the training device, one batch ahead: on CUDA the copy of batch i+1 (from the loader's pinned
// memory) is queued on a side stream when batch i is handed out, and the compute stream waits for it (an
// event, not the host) only when batch i+1 is used; the copy thus overlaps the step of batch i. On the CPU
// it is data::to_device of the next batch, nothing ahead.
#include "data/loading/loader.h"

#include <torch/types.h>

#include <memory>
#include <optional>

namespace focal::train {

class DevicePrefetcher {
 public:
  DevicePrefetcher(data::Loader& loader, const torch::Device& device);
  ~DevicePrefetcher();
  DevicePrefetcher(const DevicePrefetcher&) = delete;
  DevicePrefetcher& operator=(const DevicePrefetcher&) = delete;

  // The next batch of the loader on the device; nullopt at the end of the epoch. Call reset() after the
  // loader was repositioned (set_epoch, restore).
  std::optional<data::Batch> next();
  void reset();

 private:
  struct Cuda;  // the side stream and the pending copy (CUDA builds only)
  data::Loader& loader_;
  torch::Device device_;
  std::unique_ptr<Cuda> cuda_;
};

}  // namespace focal::train
