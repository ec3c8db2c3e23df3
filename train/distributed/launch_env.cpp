#include "train/distributed/launch_env.h"

#include <cstdlib>
#include <stdexcept>

namespace focal::train {

namespace {

std::optional<std::string> env_text(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int64_t env_int(const char* name, int64_t fallback) {
  auto v = env_text(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    const int64_t x = std::stoll(*v, &used);
    if (used == v->size()) return x;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(std::string("environment variable ") + name + "='" + *v +
                              "' is not an integer");
}

}  // namespace

LaunchEnv launch_env_from_environment(std::optional<int64_t> local_rank_flag) {
  LaunchEnv e;
  e.world_size = env_int("WORLD_SIZE", 1);
  e.rank = env_int("RANK", 0);
  if (e.world_size < 1 || e.rank < 0 || e.rank >= e.world_size) {
    throw std::invalid_argument("RANK=" + std::to_string(e.rank) +
                                " is not within WORLD_SIZE=" + std::to_string(e.world_size));
  }
  e.local_rank = env_int("LOCAL_RANK", local_rank_flag.value_or(0));
  e.local_world_size = env_int("LOCAL_WORLD_SIZE", 1);
  if (e.local_rank < 0)
    throw std::invalid_argument("LOCAL_RANK=" + std::to_string(e.local_rank) + " is negative");
  if (auto a = env_text("MASTER_ADDR")) e.master_addr = *a;
  e.master_port = env_int("MASTER_PORT", e.master_port);
  if (e.master_port < 0 || e.master_port > 65535) {
    throw std::invalid_argument("MASTER_PORT=" + std::to_string(e.master_port) + " is not a TCP port");
  }
  e.use_agent_store = env_text("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True";
  e.restart_count = env_int("TORCHELASTIC_RESTART_COUNT", 0);
  if (auto m = env_text("FOCAL_DIST_INIT_METHOD")) {
    const std::string scheme = "file://";
    if (m->rfind(scheme, 0) == 0) {
      e.file_store = m->substr(scheme.size());
    } else if (*m != "env://") {
      throw std::invalid_argument("FOCAL_DIST_INIT_METHOD='" + *m + "': use env:// or file:///path");
    }
  }
  if (e.distributed() && e.file_store.empty() && !env_text("MASTER_ADDR") && !e.use_agent_store) {
    throw std::invalid_argument("WORLD_SIZE=" + std::to_string(e.world_size) +
                                " but MASTER_ADDR is not set: launch with torchrun, or set MASTER_ADDR and "
                                "MASTER_PORT (rank 0's address and a free port) on every process");
  }
  return e;
}

}  // namespace focal::train
