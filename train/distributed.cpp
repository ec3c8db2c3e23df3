#include "train/distributed.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace focal::train {

namespace {

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    throw std::invalid_argument(std::string("environment variable ") + name + "='" + v +
                                "' is not an integer");
  }
}

}  // namespace

DistributedContext distributed_from_environment() {
  DistributedContext ctx;
  ctx.rank = env_int("RANK", 0);
  ctx.world_size = env_int("WORLD_SIZE", 1);
  if (ctx.world_size < 1 || ctx.rank < 0 || ctx.rank >= ctx.world_size) {
    throw std::invalid_argument("RANK=" + std::to_string(ctx.rank) +
                                " is not within WORLD_SIZE=" + std::to_string(ctx.world_size));
  }
  if (ctx.world_size > 1) {
    throw std::runtime_error(
        "WORLD_SIZE=" + std::to_string(ctx.world_size) +
        ": this build has no inter-process communication backend; the all-reduce hooks are "
        "focal::train::synchronize_gradients and reduce_mean (train/distributed.cpp)");
  }
  return ctx;
}

void synchronize_gradients(const std::vector<torch::Tensor>& params, const DistributedContext& ctx) {
  if (ctx.world_size == 1) return;
  // All-reduce of each p.grad() (sum, then divide by world_size) belongs here.
  throw std::logic_error("synchronize_gradients: no backend for world size " +
                         std::to_string(ctx.world_size));
}

torch::Tensor reduce_mean(const torch::Tensor& value, const DistributedContext& ctx) {
  if (ctx.world_size == 1) return value;
  throw std::logic_error("reduce_mean: no backend for world size " + std::to_string(ctx.world_size));
}

}  // namespace focal::train
