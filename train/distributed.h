#pragma once
// The data-parallel seams of the training driver. A run has a rank and a world size; only rank 0 logs and
// writes files, each rank reads its own shard of the data, and gradients and metrics are combined across
// ranks at exactly two places: synchronize_gradients() before every optimizer step and reduce_mean() in
// validation. With one process both are no-ops; a communication backend (NCCL/Gloo process group) hooks in
// there and nowhere else.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace focal::train {

struct DistributedContext {
  int64_t rank = 0;
  int64_t world_size = 1;
  bool is_main() const { return rank == 0; }
};

// RANK and WORLD_SIZE from the environment (as torchrun sets them); 0 and 1 when unset. A world size above 1
// is refused until a backend is wired into the two functions below, so that no run silently trains ranks
// independently.
DistributedContext distributed_from_environment();

// Averages the gradients of `params` over all ranks (all-reduce, then divide by world size).
void synchronize_gradients(const std::vector<torch::Tensor>& params, const DistributedContext& ctx);
// Mean of a metric tensor over all ranks.
torch::Tensor reduce_mean(const torch::Tensor& value, const DistributedContext& ctx);

}  // namespace focal::train
