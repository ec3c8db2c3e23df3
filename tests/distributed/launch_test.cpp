// The pieces of data-parallel training that need no second process: the launch variables, the original's
// --local_rank flag, the exact validation shares, and how a configuration difference is named.
#include "data/loading/sampler.h"
#include "train/cli.h"
#include "train/distributed/launch_env.h"
#include "train/distributed/run_consistency.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <numeric>
#include <set>

namespace {

// Sets variables for the scope of a test and restores the old environment after it.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::string>& vars) {
    for (const char* name :
         {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
          "TORCHELASTIC_USE_AGENT_STORE", "TORCHELASTIC_RESTART_COUNT", "FOCAL_DIST_INIT_METHOD"}) {
      const char* old = std::getenv(name);
      if (old != nullptr) saved_[name] = old;
      unsetenv(name);
    }
    for (const auto& [k, v] : vars) setenv(k.c_str(), v.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const char* name :
         {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
          "TORCHELASTIC_USE_AGENT_STORE", "TORCHELASTIC_RESTART_COUNT", "FOCAL_DIST_INIT_METHOD"}) {
      unsetenv(name);
    }
    for (const auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
  }

 private:
  std::map<std::string, std::string> saved_;
};

}  // namespace

TEST_CASE("launch variables as torchrun sets them", "[dist]") {
  ScopedEnv env({{"RANK", "5"},
                 {"WORLD_SIZE", "8"},
                 {"LOCAL_RANK", "1"},
                 {"LOCAL_WORLD_SIZE", "4"},
                 {"MASTER_ADDR", "node0"},
                 {"MASTER_PORT", "29400"},
                 {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                 {"TORCHELASTIC_RESTART_COUNT", "2"}});
  const auto e = focal::train::launch_env_from_environment(/*local_rank_flag=*/7);
  CHECK(e.rank == 5);
  CHECK(e.world_size == 8);
  CHECK(e.local_rank == 1);  // LOCAL_RANK wins over --local_rank
  CHECK(e.local_world_size == 4);
  CHECK(e.master_addr == "node0");
  CHECK(e.master_port == 29400);
  CHECK(e.use_agent_store);
  CHECK(e.restart_count == 2);
  CHECK(e.file_store.empty());
}

TEST_CASE("launch variables: defaults, the --local_rank flag and clear errors", "[dist]") {
  {
    ScopedEnv env({});
    const auto e = focal::train::launch_env_from_environment(3);
    CHECK(e.world_size == 1);
    CHECK_FALSE(e.distributed());
    CHECK(e.local_rank == 3);  // torch.distributed.launch without LOCAL_RANK
  }
  {
    ScopedEnv env({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}});
    CHECK_THROWS_WITH(focal::train::launch_env_from_environment(),
                      Catch::Contains("RANK=2 is not within WORLD_SIZE=2"));
  }
  {
    ScopedEnv env({{"RANK", "0"}, {"WORLD_SIZE", "two"}});
    CHECK_THROWS_WITH(focal::train::launch_env_from_environment(),
                      Catch::Contains("WORLD_SIZE='two' is not an integer"));
  }
  {
    ScopedEnv env({{"RANK", "0"}, {"WORLD_SIZE", "2"}});
    CHECK_THROWS_WITH(focal::train::launch_env_from_environment(), Catch::Contains("MASTER_ADDR is not set"));
  }
  {
    ScopedEnv env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}});
    CHECK_THROWS_WITH(focal::train::launch_env_from_environment(), Catch::Contains("MASTER_PORT=70000"));
  }
  {
    ScopedEnv env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"FOCAL_DIST_INIT_METHOD", "file:///tmp/x"}});
    CHECK(focal::train::launch_env_from_environment().file_store == "/tmp/x");
  }
}

TEST_CASE("focal-train accepts the original's --local_rank in both spellings", "[dist]") {
  CHECK(focal::train::parse_cli({"--cfg", "c.yaml", "--local_rank", "2"}).local_rank ==
        std::optional<int64_t>(2));
  CHECK(focal::train::parse_cli({"--cfg", "c.yaml", "--local-rank=3"}).local_rank ==
        std::optional<int64_t>(3));
  CHECK(focal::train::parse_cli({"--cfg", "c.yaml", "--local_rank=4"}).local_rank ==
        std::optional<int64_t>(4));
  CHECK_THROWS_WITH(focal::train::parse_cli({"--cfg", "c.yaml", "--local-rank=x"}),
                    Catch::Contains("not an integer"));
}

TEST_CASE("exact validation shares cover every sample once, for any world size", "[dist]") {
  for (int64_t n : {0, 1, 5, 47, 100}) {
    for (int64_t world : {1, 2, 3, 8}) {
      std::vector<int64_t> order(static_cast<size_t>(n));
      std::iota(order.rbegin(), order.rend(), 0);  // any order: reversed
      std::multiset<int64_t> seen;
      int64_t largest = 0, smallest = n;
      for (int64_t r = 0; r < world; ++r) {
        const auto share = focal::data::exact_share(order, r, world);
        CHECK(static_cast<int64_t>(share.size()) == focal::data::exact_share_size(n, r, world));
        largest = std::max<int64_t>(largest, static_cast<int64_t>(share.size()));
        smallest = std::min<int64_t>(smallest, static_cast<int64_t>(share.size()));
        seen.insert(share.begin(), share.end());
      }
      CHECK(static_cast<int64_t>(seen.size()) == n);
      CHECK(std::set<int64_t>(seen.begin(), seen.end()).size() == seen.size());  // no duplicates
      CHECK(largest - std::min(smallest, largest) <= 1);
    }
  }
}

TEST_CASE("a configuration difference between ranks is named by its dotted key", "[dist]") {
  const std::string a =
      "DATA:\n  BATCH_SIZE: 128\n  IMG_SIZE: 224\nMODEL:\n  FOCAL:\n    DEPTHS: [2, 2, 6, 2]\nSEED: 0\n";
  const std::string b =
      "DATA:\n  BATCH_SIZE: 128\n  IMG_SIZE: 224\nMODEL:\n  FOCAL:\n    DEPTHS: [2, 2, 18, 2]\nSEED: 0\n";
  CHECK(focal::train::first_difference(a, a, 1).empty());
  CHECK(focal::train::first_difference(a, b, 3) ==
        "MODEL.FOCAL.DEPTHS: [2, 2, 6, 2] on rank 0, [2, 2, 18, 2] on rank 3");
  const std::string c =
      "DATA:\n  BATCH_SIZE: 64\n  IMG_SIZE: 224\nMODEL:\n  FOCAL:\n    DEPTHS: [2, 2, 6, 2]\nSEED: 0\n";
  CHECK(focal::train::first_difference(a, c, 1) == "DATA.BATCH_SIZE: 128 on rank 0, 64 on rank 1");
  // LOCAL_RANK differs by design and is left out of the signature.
  torch::nn::Module empty;
  CHECK(focal::train::run_signature("LOCAL_RANK: 0\nSEED: 1\n", empty) ==
        focal::train::run_signature("LOCAL_RANK: 3\nSEED: 1\n", empty));
}
