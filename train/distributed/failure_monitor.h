#pragma once
// Names the ranks that stopped when a collective fails. Every process beats a counter in the store from a
// thread of its own (and records the phase it is in); when a collective of this process fails, the ranks
// whose counter no longer moves are dead or frozen (crashed, killed, stopped), and the ranks whose phase
// lags behind are stuck elsewhere. A store that cannot be reached at all is reported as such: when rank 0
// serves it, rank 0 is gone.
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace focal::train {

class FailureMonitor {
 public:
  FailureMonitor(c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t world_size,
                 std::chrono::milliseconds interval);
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

  c10::intrusive_ptr<c10d::Store> store_;
  int64_t rank_, world_size_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::string phase_;
  std::thread thread_;
};

}  // namespace focal::train
