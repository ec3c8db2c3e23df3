#pragma once
// Names the ranks that stopped when a collective fails. Every process beats a counter in the store from a
// thread of its own (and records the phase it is in); when a collective of this process fails, the ranks
// whose counter no longer moves are dead or frozen (crashed, killed, stopped), and the ranks whose phase
// lags behind are stuck elsewhere. A store that cannot be reached at all is reported as such: when rank 0
// serves it, rank 0 is gone.
//
// It also watches on its own: while this process has been in one phase for a while (blocked in a collective,
// say), it reads the others' counters, and a rank whose counter has not moved for `dead_after` is declared
// dead through `on_dead`. NCCL would otherwise wait for its timeout (DIST.TIMEOUT, 30 minutes by default) on
// a peer that is gone; a healthy rank that is merely slow (writing a checkpoint) keeps beating.
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace focal::train {

class FailureMonitor {
 public:
  // `dead_after` zero: no watching of its own.
  FailureMonitor(c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t world_size,
                 std::chrono::milliseconds interval, std::chrono::milliseconds dead_after = {},
                 std::function<void(const std::string&)> on_dead = {});
  ~FailureMonitor();
  FailureMonitor(const FailureMonitor&) = delete;
  FailureMonitor& operator=(const FailureMonitor&) = delete;

  // What this process is doing, published with its next beat (e.g. "epoch 3 step 1200").
  void set_phase(const std::string& phase);
  // Tells the other ranks that this one is exiting because `what` failed (they then do not blame it).
  void report_failure(const std::string& what);
  // Watches the other ranks' beats for a few intervals and says which stopped; never throws.
  std::string diagnose();

 private:
  void beat_loop();
  // Called by the beat thread while the phase has not changed for a while; may call on_dead_.
  void watch_peers();

  c10::intrusive_ptr<c10d::Store> store_;
  int64_t rank_, world_size_;
  std::chrono::milliseconds interval_, dead_after_;
  std::function<void(const std::string&)> on_dead_;
  std::chrono::steady_clock::time_point phase_since_ = std::chrono::steady_clock::now();
  // Per rank: the counter last read and when it last moved (watch_peers, beat thread only).
  std::vector<int64_t> seen_;
  std::vector<std::chrono::steady_clock::time_point> moved_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string phase_;
  std::thread thread_;
};

}  // namespace focal::train
