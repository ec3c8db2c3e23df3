#pragma once
// Where a process stands in a data-parallel run, read from the variables that torchrun (and
// torch.distributed.launch, Slurm wrappers, or a user by hand) set: RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, and torchrun's TORCHELASTIC_USE_AGENT_STORE and
// TORCHELASTIC_RESTART_COUNT. FOCAL_DIST_INIT_METHOD=file:///path rendezvouses through a shared file
// instead of TCP (as init_method="file://..." in PyTorch).
#include <cstdint>
#include <optional>
#include <string>

namespace focal::train {

struct LaunchEnv {
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;
  int64_t local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
  // torchrun's agent already serves the store on MASTER_ADDR:MASTER_PORT; workers join it as clients.
  bool use_agent_store = false;
  int64_t restart_count = 0;
  std::string file_store;  // set when FOCAL_DIST_INIT_METHOD is file://PATH

  bool distributed() const { return world_size > 1; }
};

// Throws std::invalid_argument naming the variable for a value that is not an integer or out of range.
// `local_rank_flag` is the original's --local_rank, used when LOCAL_RANK is unset.
LaunchEnv launch_env_from_environment(std::optional<int64_t> local_rank_flag = std::nullopt);

}  // namespace focal::train
