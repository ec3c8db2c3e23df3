#pragma once
// The process group of a data-parallel run and the few collectives the training driver needs besides the
// gradient all-reduce (which c10d's Reducer drives, see gradient_reducer.h): sums of metrics, broadcasts
// from rank 0, small byte strings gathered through the store, and barriers.
//
// A failed collective never leaves a process hanging or running on alone: fail() prints which rank failed
// in which collective (with what the failure monitor says of the others) and exits the process with
// status 1. Until the backend's timeout (DIST.TIMEOUT) a collective waits for slow ranks.
#include "train/distributed/failure_monitor.h"
#include "train/distributed/launch_env.h"

#include <torch/types.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace focal::train {

struct CommunicatorOptions {
  TORCH_ARG(std::string, backend) = "gloo";  // "gloo" or "nccl"
  TORCH_ARG(std::chrono::milliseconds, timeout) = std::chrono::minutes(30);
  // The device of NCCL's tensors (this process's GPU); collectives of "gloo" run on the CPU.
  TORCH_ARG(torch::Device, device) = torch::kCPU;
  TORCH_ARG(std::chrono::milliseconds, heartbeat) = std::chrono::milliseconds(1000);
  // A rank whose heartbeat stopped this long while this one waits is declared dead (zero: only the
  // backend's timeout applies).
  TORCH_ARG(std::chrono::milliseconds, dead_after) = std::chrono::seconds(60);
};

class Communicator {
 public:
  Communicator(const LaunchEnv& env, CommunicatorOptions options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int64_t rank() const { return rank_; }
  int64_t world_size() const { return world_size_; }
  const std::string& backend() const { return options_.backend(); }
  const c10::intrusive_ptr<c10d::ProcessGroup>& process_group() const { return group_; }
  c10d::Store& store() { return *store_; }

  // Sum (or maximum) over ranks of a small tensor; the result is on the device `value` came from.
  torch::Tensor all_reduce(const torch::Tensor& value, const std::string& what, bool max = false);
  // Overwrites `tensors` (on any device) with rank 0's values, in coalesced transfers.
  void broadcast_from_main(const std::vector<torch::Tensor>& tensors, const std::string& what);
  // Every rank's `mine`, in rank order, on rank 0 (empty on the others). Through the store: for small
  // records only (generator states, config text).
  std::vector<std::string> gather_to_main(const std::string& key, const std::string& mine);
  // Rank 0's `mine` on every rank.
  std::string share_from_main(const std::string& key, const std::string& mine);
  void barrier(const std::string& what);

  // Runs `body`; a failure inside it is reported as a failure of collective `what` (exits the process).
  void guard(const std::string& what, const std::function<void()>& body);
  // Records what this process is doing, for the other ranks' failure reports.
  void set_phase(const std::string& phase);
  [[noreturn]] void fail(const std::string& what, const std::string& error);

 private:
  torch::Tensor on_comm_device(const torch::Tensor& t) const;

  int64_t rank_, world_size_;
  CommunicatorOptions options_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  std::unique_ptr<FailureMonitor> monitor_;
  int64_t sequence_ = 0;              // numbers store keys so that no two exchanges share one
  std::atomic<bool> failing_{false};  // the first failure reports and exits; a second one waits for it
};

}  // namespace focal::train
