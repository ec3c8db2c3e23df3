#pragma once
// The data-parallel context of a training run. A run has a rank and a world size (from torchrun's
// variables, see distributed/launch_env.h); only rank 0 logs and writes files, each rank reads its own shard
// of the data, gradients are averaged by a DDP-style bucketed reducer during backward
// (distributed/gradient_reducer.h), and metrics are summed over ranks. With one process there is no
// process group and every function here is a no-op.
#include "focal/config/config.h"

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace focal::train {

class Communicator;

struct DistributedContext {
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;
  std::shared_ptr<Communicator> comm;  // null for a single process
  bool is_main() const { return rank == 0; }
  bool distributed() const { return world_size > 1; }
};

// A single-process context (tests, tools).
DistributedContext single_process();

// Reads the launch variables and, with WORLD_SIZE > 1, joins the process group: DIST.BACKEND (auto: NCCL
// for CUDA devices, Gloo otherwise), DIST.TIMEOUT. `device` is the requested device ("cuda" becomes this
// process's GPU, cuda:LOCAL_RANK). Throws with the rank, the store address and the reason when joining
// fails.
DistributedContext init_distributed(const Config& config, const std::string& device,
                                    std::optional<int64_t> local_rank_flag = std::nullopt);

// The device this process trains on: "cuda" with several processes means cuda:LOCAL_RANK.
std::string device_for_rank(const std::string& device, const DistributedContext& ctx);

// True on every rank when `flag` is true on any rank (the flag itself for one process): one decision for
// all, e.g. skipping an fp16 step whose gradients overflowed somewhere, or stopping after an epoch.
bool any_rank(bool flag, const DistributedContext& ctx, const std::string& what);

// Sum over ranks (the value itself for one process).
torch::Tensor reduce_sum(const torch::Tensor& value, const DistributedContext& ctx, const std::string& what);

}  // namespace focal::train
