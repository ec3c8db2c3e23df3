#include "train/distributed.h"

#include "train/distributed/backends.h"
#include "train/distributed/communicator.h"
#include "train/distributed/launch_env.h"

#include <torch/cuda.h>
#include <torch/utils.h>

#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace focal::train {

DistributedContext single_process() { return DistributedContext{}; }

std::string device_for_rank(const std::string& device, const DistributedContext& ctx) {
  if (device == "cuda" && ctx.distributed()) return "cuda:" + std::to_string(ctx.local_rank);
  return device;
}

DistributedContext init_distributed(const Config& config, const std::string& device,
                                    std::optional<int64_t> local_rank_flag) {
  const LaunchEnv env = launch_env_from_environment(local_rank_flag);
  DistributedContext ctx;
  ctx.rank = env.rank;
  ctx.world_size = env.world_size;
  ctx.local_rank = env.local_rank;
  if (!env.distributed()) return ctx;

  const torch::Device dev(device_for_rank(device, ctx));
  std::string backend = config.get<std::string>("DIST.BACKEND");
  if (backend == "auto") backend = dev.is_cuda() ? "nccl" : "gloo";
  if (backend == "nccl" && !dev.is_cuda()) {
    throw std::invalid_argument("DIST.BACKEND nccl needs --device cuda (NCCL reduces GPU tensors only)");
  }
  if (dev.is_cuda()) {
    if (!torch::cuda::is_available() || dev.index() >= static_cast<int64_t>(torch::cuda::device_count())) {
      throw std::runtime_error("rank " + std::to_string(env.rank) + ": --device " + dev.str() +
                               ": LibTorch sees " + std::to_string(torch::cuda::device_count()) +
                               " CUDA device(s)");
    }
    // NCCL binds each process to its GPU (through the device-generic guard: no CUDA headers needed here).
    c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->setDevice(dev);
  }
  if (!dev.is_cuda() && std::getenv("OMP_NUM_THREADS") == nullptr) {
    // Several CPU processes on one machine share its cores (torchrun sets OMP_NUM_THREADS=1 itself; a
    // launch by hand would otherwise oversubscribe every core LOCAL_WORLD_SIZE times).
    const auto cores = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(
        static_cast<int>(std::max<int64_t>(1, cores / std::max<int64_t>(1, env.local_world_size))));
  }
  const int64_t timeout_s = config.get<int64_t>("DIST.TIMEOUT");
  if (timeout_s <= 0) throw std::invalid_argument("DIST.TIMEOUT must be a positive number of seconds");
  if (config.get<int64_t>("DIST.HEARTBEAT_TIMEOUT") < 0) {
    throw std::invalid_argument("DIST.HEARTBEAT_TIMEOUT must be a number of seconds (0 turns it off)");
  }
  ctx.comm = std::make_shared<Communicator>(
      env, CommunicatorOptions()
               .backend(backend)
               .timeout(std::chrono::seconds(timeout_s))
               .device(dev)
               .dead_after(std::chrono::seconds(config.get<int64_t>("DIST.HEARTBEAT_TIMEOUT"))));
  return ctx;
}

bool any_rank(bool flag, const DistributedContext& ctx, const std::string& what) {
  if (!ctx.comm) return flag;
  return ctx.comm->all_reduce(torch::tensor({flag ? 1.0 : 0.0}, torch::kDouble), what, /*max=*/true)
             .item<double>() > 0;
}

torch::Tensor reduce_sum(const torch::Tensor& value, const DistributedContext& ctx, const std::string& what) {
  if (!ctx.comm) return value;
  return ctx.comm->all_reduce(value, what);
}

}  // namespace focal::train
