#pragma once
// A tiny data-parallel training setup for the tests: 47 small grayscale images in three class folders (47 so
// that no world size of 2 or 3 divides it), a two-stage Focal model of a few thousand parameters, and
// focal-train processes started as torchrun would start them (RANK, WORLD_SIZE, LOCAL_RANK), meeting through
// a FileStore in the test's folder.
#include "focal/io/state_dict.h"
#include "tests/distributed/process_runner.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace focal::test {

struct DistFixture {
  explicit DistFixture(const std::string& name, int images = 47);

  std::filesystem::path dir, data, config, output;

  // focal-train's arguments for a run tagged `tag`, with `opts` (KEY VALUE ...) added to --opts.
  std::vector<std::string> train_args(const std::string& tag, const std::vector<std::string>& opts) const;
  // Starts `world` processes of a run; process r's output goes to <dir>/<tag>.rank<r>.log.
  std::vector<ChildProcess> launch(const std::string& tag, int world, const std::vector<std::string>& opts,
                                   const std::map<std::string, std::string>& extra_env = {}) const;
  // Launches, waits (at most `timeout_s`), and requires exit status 0 of every rank.
  void run(const std::string& tag, int world, const std::vector<std::string>& opts,
           const std::map<std::string, std::string>& extra_env = {}, int timeout_s = 240) const;

  std::filesystem::path run_dir(const std::string& tag) const;
  std::string log(const std::string& tag) const;                          // the run's log.txt (rank 0)
  io::StateDict weights(const std::string& tag, bool ema = false) const;  // from last.pth
};

// The largest absolute difference between two state dicts with the same names (fails on a mismatch).
double max_abs_difference(const io::StateDict& a, const io::StateDict& b);

}  // namespace focal::test
