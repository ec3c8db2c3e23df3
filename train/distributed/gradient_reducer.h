#pragma once
// Gradient averaging as PyTorch's DistributedDataParallel does it, on c10d's own Reducer: gradients are
// grouped into buckets of about DIST.BUCKET_CAP_MB (the first one 1 MiB), in reverse registration order
// (the order backward produces them); a bucket is all-reduced asynchronously as soon as all its gradients
// are ready, so communication overlaps the rest of backward. The first step runs with one bucket and
// records the order in which gradients arrive; the buckets are then rebuilt in that order (as DDP).
//
// Per step: before_forward(sync), forward, before_backward(sync, outputs), backward. With sync = false
// (gradient accumulation between updates) nothing is communicated and gradients accumulate locally; the
// next synchronised backward averages the accumulated sums. After a synchronised backward, every rank
// holds the same averaged gradients.
#include "train/distributed/communicator.h"

#include <torch/types.h>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <memory>
#include <string>
#include <vector>

namespace focal::train {

struct GradientReducerOptions {
  TORCH_ARG(int64_t, bucket_cap_mb) = 25;
  TORCH_ARG(bool, bf16_compress) = false;
  // Parameters that receive no gradient in a step are marked ready by a graph search from the outputs.
  TORCH_ARG(bool, find_unused_parameters) = false;
};

class GradientReducer {
 public:
  // `params` in registration order (module.parameters()), all requiring grad, on one device.
  GradientReducer(std::vector<torch::Tensor> params, std::vector<std::string> names, Communicator& comm,
                  GradientReducerOptions options);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void before_forward(bool sync);
  void before_backward(bool sync, const std::vector<torch::Tensor>& outputs);
  // Buckets of the current assignment (1 before the rebuild after the first step).
  int64_t num_buckets() const { return num_buckets_; }
  int64_t gradient_bytes() const { return gradient_bytes_; }

 private:
  std::shared_ptr<c10d::Reducer> reducer_;
  GradientReducerOptions options_;
  int64_t num_buckets_ = 1;
  int64_t gradient_bytes_ = 0;
};

}  // namespace focal::train
