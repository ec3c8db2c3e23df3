// Data-parallel training end to end: focal-train processes on Gloo, meeting through a FileStore (and, in
// the torchrun case, through the torchrun agent's TCPStore), on a tiny model and 47 images.
#include "tests/distributed/dist_fixture.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

using focal::test::ChildProcess;
using focal::test::DistFixture;
using focal::test::max_abs_difference;

namespace {

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// acc@1 and loss of the last " * model:" line of a log.
std::pair<double, double> final_eval(const std::string& log) {
  std::regex line(R"( \* model: acc@1 ([0-9.]+)  acc@5 [0-9.]+  loss ([0-9.]+)  \((\d+) images\))");
  std::smatch m;
  std::pair<double, double> out{-1, -1};
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it) {
    out = {std::stod((*it)[1]), std::stod((*it)[2])};
  }
  return out;
}

// The surviving ranks `ranks` of a run with a failed one must exit non-zero within 90 s, each saying `says`.
void expect_failure_named(std::vector<ChildProcess>& procs, const std::vector<int>& ranks,
                          const std::string& says) {
  for (int r : ranks) {
    auto& p = procs[static_cast<size_t>(r)];
    auto status = p.wait_for(std::chrono::seconds(90));
    INFO("rank " << r << ":\n" << p.output());
    REQUIRE(status.has_value());
    CHECK(*status == 1);
    CHECK(p.output().find(says) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("2 processes at batch b train the same weights as 1 process at batch 2b", "[dist]") {
  DistFixture f("equivalence");
  f.run("one", 1, {"DATA.BATCH_SIZE", "16"});
  f.run("two", 2, {"DATA.BATCH_SIZE", "8"});
  CHECK(f.log("two").find("data parallel: 2 processes (gloo), global batch 16") != std::string::npos);
  // Same images per step, gradients averaged over ranks: equal up to float32 reduction order.
  CHECK(max_abs_difference(f.weights("one"), f.weights("two")) < 2e-5);
  CHECK(max_abs_difference(f.weights("one", true), f.weights("two", true)) < 2e-5);
  // The run did train: the weights moved away from the initial ones of another seed's run.
  CHECK(count_of(f.log("two"), "bitwise identical on all 2 ranks") == 3);
}

TEST_CASE("ranks with different random draws (stochastic depth) keep bitwise identical weights and EMA",
          "[dist]") {
  DistFixture f("replicas");
  // Each rank seeds its generator with SEED + rank, so drop-path masks differ; the averaged gradients and
  // hence weights and EMA must not. check_replicas() compares checksums of all ranks after every epoch.
  f.run("three", 3, {"MODEL.DROP_PATH_RATE", "0.3", "DATA.BATCH_SIZE", "4"});
  CHECK(count_of(f.log("three"), "weights and EMA bitwise identical on all 3 ranks") == 3);
  // The reducer's other modes through the trainer: a graph search for unused parameters, and bf16 on the
  // wire.
  f.run("modes", 2, {"DIST.FIND_UNUSED_PARAMETERS", "True", "DIST.BF16_COMPRESS", "True"});
  CHECK(f.log("modes").find("(sent as bfloat16)") != std::string::npos);
  CHECK(count_of(f.log("modes"), "weights and EMA bitwise identical on all 2 ranks") == 3);
}

TEST_CASE("gradient accumulation over 2 steps equals the un-accumulated run", "[dist]") {
  DistFixture f("accumulation");
  // A constant LR (MIN_LR = BASE_LR, no warm-up): the schedule then does not depend on the loader length.
  const std::vector<std::string> constant{"TRAIN.WARMUP_EPOCHS", "0", "TRAIN.MIN_LR", "2.0e-2"};
  auto plain = constant, accumulated = constant;
  plain.insert(plain.end(), {"DATA.BATCH_SIZE", "8"});
  accumulated.insert(accumulated.end(), {"DATA.BATCH_SIZE", "4", "TRAIN.ACCUMULATION_STEPS", "2"});
  // The LR is scaled by batch x world x accumulation / 512: the same 2e-2 x 16 / 512 in both runs.
  f.run("plain", 2, plain);
  f.run("accumulated", 2, accumulated);
  CHECK(max_abs_difference(f.weights("plain"), f.weights("accumulated")) < 2e-5);
}

TEST_CASE("validation with an uneven split counts every image exactly once", "[dist]") {
  DistFixture f("uneven");
  // 47 images over 3 ranks: 16, 16 and 15, no padded duplicates. The same (untrained, rank 0's) weights give
  // the same top-1 and loss as one process.
  f.run("one", 1, {"EVAL_MODE", "True"});
  f.run("three", 3, {"EVAL_MODE", "True"});
  CHECK(f.log("three").find("(47 images)") != std::string::npos);
  const auto one = final_eval(f.log("one")), three = final_eval(f.log("three"));
  REQUIRE(one.first >= 0);
  CHECK(three.first == Approx(one.first).margin(1e-9));
  CHECK(three.second == Approx(one.second).margin(2e-4));
}

TEST_CASE("a run resumed on the same world size follows the uninterrupted trajectory", "[dist]") {
  DistFixture f("resume_same");
  f.run("ref", 2, {});
  // Stopped after 3 optimizer steps (inside epoch 1 of 3, 2 steps per epoch), then restarted.
  auto cut = f.launch("cut", 2, {}, {{"FOCAL_STOP_AFTER_STEPS", "3"}});
  for (auto& p : cut) {
    auto status = p.wait_for(std::chrono::seconds(240));
    INFO(p.output());
    REQUIRE(status.has_value());
    CHECK(*status == 130);
  }
  f.run("cut", 2, {});
  CHECK(f.log("cut").find("resumed at epoch 1 batch 1") != std::string::npos);
  CHECK(max_abs_difference(f.weights("ref"), f.weights("cut")) == 0.0);
  CHECK(max_abs_difference(f.weights("ref", true), f.weights("cut", true)) == 0.0);
}

TEST_CASE("a run resumed on another world size restarts from the checkpoint's epoch boundary", "[dist]") {
  DistFixture f("resume_other");
  auto cut = f.launch("run", 2, {}, {{"FOCAL_STOP_AFTER_STEPS", "3"}});
  for (auto& p : cut) REQUIRE(p.wait_for(std::chrono::seconds(240)) == std::optional<int>(130));
  f.run("run", 1, {"DATA.BATCH_SIZE", "16"});
  const auto log = f.log("run");
  CHECK(log.find("was written by 2 process(es), this run has 1") != std::string::npos);
  CHECK(log.find("resumed at epoch 1 batch 0") != std::string::npos);
  CHECK(log.find("EPOCH 2 training takes") != std::string::npos);
}

TEST_CASE("processes started with different configurations stop with the differing key", "[dist]") {
  DistFixture f("mismatch");
  const auto store = f.dir / "store_mismatch";
  std::vector<ChildProcess> procs;
  for (int r = 0; r < 2; ++r) {
    std::map<std::string, std::string> env{{"RANK", std::to_string(r)},
                                           {"WORLD_SIZE", "2"},
                                           {"OMP_NUM_THREADS", "1"},
                                           {"FOCAL_DIST_INIT_METHOD", "file://" + store.string()}};
    procs.emplace_back(f.train_args("m", {"TRAIN.BASE_LR", r == 0 ? "2.0e-2" : "3.0e-2"}), env,
                       f.dir / ("m.rank" + std::to_string(r) + ".log"));
  }
  for (auto& p : procs) {
    auto status = p.wait_for(std::chrono::seconds(120));
    REQUIRE(status.has_value());
    CHECK(*status == 1);
    INFO(p.output());
    CHECK(p.output().find("TRAIN.BASE_LR: 0.02 on rank 0, 0.03 on rank 1") != std::string::npos);
  }
}

TEST_CASE("a killed rank makes the others exit non-zero with a message naming it", "[dist]") {
  DistFixture f("killed");
  auto procs = f.launch("k", 3, {"TRAIN.EPOCHS", "500", "DATA.BATCH_SIZE", "4"});
  REQUIRE(
      focal::test::wait_for_text(f.run_dir("k") / "log.txt", "Train: [1/500]", std::chrono::seconds(120)));
  procs[1].signal(SIGKILL);
  const auto start = std::chrono::steady_clock::now();
  expect_failure_named(procs, {0, 2}, "rank 1 stopped responding");
  // Well within DIST.TIMEOUT (60 s): a lost connection fails at once.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
}

TEST_CASE("a hung rank makes the others exit non-zero after DIST.TIMEOUT, naming it", "[dist]") {
  DistFixture f("hung");
  auto procs = f.launch(
      "h", 2,
      {"TRAIN.EPOCHS", "500", "DATA.BATCH_SIZE", "4", "DIST.TIMEOUT", "15", "DIST.HEARTBEAT_TIMEOUT", "0"});
  REQUIRE(
      focal::test::wait_for_text(f.run_dir("h") / "log.txt", "Train: [1/500]", std::chrono::seconds(120)));
  // Frozen with its connections open: only the backend's timeout can tell (the heartbeat watch is off here;
  // 15 s rather than less, since the same timeout bounds the group's start on a loaded machine).
  procs[1].signal(SIGSTOP);
  expect_failure_named(procs, {0}, "rank 1 stopped responding");
  procs[1].signal(SIGKILL);
}

TEST_CASE("a frozen rank is found by its stopped heartbeat long before the backend's timeout", "[dist]") {
  DistFixture f("frozen");
  auto procs = f.launch(
      "z", 3,
      {"TRAIN.EPOCHS", "500", "DATA.BATCH_SIZE", "4", "DIST.TIMEOUT", "1800", "DIST.HEARTBEAT_TIMEOUT", "4"});
  REQUIRE(
      focal::test::wait_for_text(f.run_dir("z") / "log.txt", "Train: [1/500]", std::chrono::seconds(120)));
  procs[2].signal(SIGSTOP);
  const auto start = std::chrono::steady_clock::now();
  expect_failure_named(procs, {0, 1}, "rank 2 sent no heartbeat for 4 s");
  CHECK(std::chrono::steady_clock::now() - start <
        std::chrono::seconds(60));  // not the 1800 s of DIST.TIMEOUT
  procs[2].signal(SIGKILL);
}

TEST_CASE("SIGTERM to every rank writes last.pth once from rank 0 and every rank exits 143", "[dist]") {
  DistFixture f("sigterm");
  auto procs = f.launch("t", 2, {"TRAIN.EPOCHS", "500", "DATA.BATCH_SIZE", "4"});
  REQUIRE(
      focal::test::wait_for_text(f.run_dir("t") / "log.txt", "Train: [1/500]", std::chrono::seconds(120)));
  for (auto& p : procs) p.signal(SIGTERM);
  for (auto& p : procs) {
    auto status = p.wait_for(std::chrono::seconds(60));
    INFO(p.output());
    REQUIRE(status.has_value());
    CHECK(*status == 143);
  }
  CHECK(count_of(f.log("t"), "; run again to resume from last.pth") == 1);
  CHECK(std::filesystem::exists(f.run_dir("t") / "last.pth"));
}

namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// The local addresses (hex, as /proc/net/tcp writes them) of the sockets listening on `port`.
std::vector<std::string> listeners(int port) {
  std::vector<std::string> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string slot, local, remote, state;
      f >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (state == "0A" && std::stoi(local.substr(colon + 1), nullptr, 16) == port)
        out.push_back(local.substr(0, colon));
    }
  }
  return out;
}

std::vector<int> children_of(int pid) {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream in(task.path() / "children");
    for (int c; in >> c;) out.push_back(c);
  }
  return out;
}

}  // namespace

TEST_CASE("torchrun launches focal-train, and after a worker dies the restarted group resumes from last.pth",
          "[dist][torchrun]") {
  const auto torchrun = focal::test::venv_binary("torchrun");
  if (!std::filesystem::exists(torchrun)) FOCAL_SKIP_MISSING("no torchrun in " << torchrun.parent_path());
  DistFixture f("torchrun");
  std::vector<std::string> args{
      torchrun.string(),    "--standalone", "--nproc-per-node", "2", "--max-restarts", "1",
      "--monitor-interval", "0.5",          "--no-python"};
  const auto train = f.train_args("tr", {"TRAIN.EPOCHS", "6", "DATA.BATCH_SIZE", "4"});
  args.insert(args.end(), train.begin(), train.end());
  ChildProcess agent(args, {{"OMP_NUM_THREADS", "1"}}, f.dir / "torchrun.log");
  REQUIRE(focal::test::wait_for_text(f.run_dir("tr") / "log.txt", "Train: [2/6]", std::chrono::seconds(180)));
  const auto workers = children_of(agent.pid());
  REQUIRE(workers.size() == 2);
  kill(workers[1], SIGKILL);
  auto status = agent.wait_for(std::chrono::seconds(300));
  INFO(agent.output());
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  const auto log = f.log("tr");
  CHECK(log.find("data parallel: 2 processes (gloo)") != std::string::npos);
  CHECK(log.find("Resuming from " + (f.run_dir("tr") / "last.pth").string()) != std::string::npos);
  CHECK(log.find("EPOCH 5 training takes") != std::string::npos);
}

TEST_CASE(
    "the reducer: float64 equivalence with one process, no communication between updates, bf16 "
    "compression",
    "[dist]") {
  DistFixture f("worker", 3);
  for (const std::string scenario : {"float64", "accumulation", "bf16", "overflow"}) {
    std::vector<ChildProcess> procs;
    const auto store = f.dir / ("store_" + scenario);
    for (int r = 0; r < 2; ++r) {
      std::map<std::string, std::string> env{{"RANK", std::to_string(r)},
                                             {"WORLD_SIZE", "2"},
                                             {"OMP_NUM_THREADS", "1"},
                                             {"FOCAL_DIST_INIT_METHOD", "file://" + store.string()}};
      procs.emplace_back(
          std::vector<std::string>{
              (std::filesystem::path(FOCAL_BINARY_DIR) / "tests" / "dist_worker").string(), scenario,
              f.config.string()},
          env, f.dir / (scenario + std::to_string(r) + ".log"));
    }
    for (auto& p : procs) {
      auto status = p.wait_for(std::chrono::seconds(120));
      INFO(scenario << ":\n" << p.output());
      REQUIRE(status.has_value());
      CHECK(*status == 0);
    }
  }
}

TEST_CASE("variables set by hand: rank 0 serves the store on MASTER_ADDR only", "[dist]") {
  DistFixture f("by_hand");
  const int port = free_port();
  std::vector<ChildProcess> procs;
  for (int r = 0; r < 2; ++r) {
    std::map<std::string, std::string> env{
        {"RANK", std::to_string(r)},           {"WORLD_SIZE", "2"},
        {"LOCAL_RANK", std::to_string(r)},     {"MASTER_ADDR", "127.0.0.1"},
        {"MASTER_PORT", std::to_string(port)}, {"OMP_NUM_THREADS", "1"}};
    procs.emplace_back(f.train_args("hand", {"TRAIN.EPOCHS", "500", "DATA.BATCH_SIZE", "4"}), env,
                       f.dir / ("hand.rank" + std::to_string(r) + ".log"));
  }
  REQUIRE(
      focal::test::wait_for_text(f.run_dir("hand") / "log.txt", "Train: [1/500]", std::chrono::seconds(120)));
  // 127.0.0.1 in /proc/net/tcp's little-endian hex; not 00000000 (every interface).
  CHECK(listeners(port) == std::vector<std::string>{"0100007F"});
  for (auto& p : procs) p.signal(SIGTERM);
  for (auto& p : procs) CHECK(p.wait_for(std::chrono::seconds(60)) == std::optional<int>(143));
}

TEST_CASE("two torchrun agents as two nodes (c10d rendezvous) train as one group", "[dist][torchrun]") {
  const auto torchrun = focal::test::venv_binary("torchrun");
  if (!std::filesystem::exists(torchrun)) FOCAL_SKIP_MISSING("no torchrun in " << torchrun.parent_path());
  DistFixture f("two_nodes");
  const std::string endpoint = "127.0.0.1:" + std::to_string(free_port());
  std::vector<ChildProcess> agents;
  for (int node = 0; node < 2; ++node) {
    std::vector<std::string> args{torchrun.string(),
                                  "--nnodes",
                                  "2",
                                  "--node-rank",
                                  std::to_string(node),
                                  "--nproc-per-node",
                                  "1",
                                  "--rdzv-backend",
                                  "c10d",
                                  "--rdzv-endpoint",
                                  endpoint,
                                  "--rdzv-id",
                                  "focal-test",
                                  "--no-python"};
    const auto train = f.train_args("nodes", {"DATA.BATCH_SIZE", "8"});
    args.insert(args.end(), train.begin(), train.end());
    agents.emplace_back(args, std::map<std::string, std::string>{{"OMP_NUM_THREADS", "1"}},
                        f.dir / ("node" + std::to_string(node) + ".log"));
  }
  for (auto& a : agents) {
    auto status = a.wait_for(std::chrono::seconds(240));
    INFO(a.output());
    REQUIRE(status.has_value());
    CHECK(*status == 0);
  }
  CHECK(f.log("nodes").find("data parallel: 2 processes (gloo), global batch 16") != std::string::npos);
  // The same global batch in one process trains the same weights.
  f.run("one", 1, {"DATA.BATCH_SIZE", "16"});
  CHECK(max_abs_difference(f.weights("one"), f.weights("nodes")) < 2e-5);
}
