#include "train/distributed/failure_monitor.h"

#include <exception>
#include <vector>

namespace focal::train {

namespace {

std::string beat_key(int64_t rank) { return "heartbeat/" + std::to_string(rank); }
std::string phase_key(int64_t rank) { return "phase/" + std::to_string(rank); }
std::string failure_key(int64_t rank) { return "failure/" + std::to_string(rank); }

std::string as_text(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

}  // namespace

FailureMonitor::FailureMonitor(c10::intrusive_ptr<c10d::Store> store, int64_t rank, int64_t world_size,
                               std::chrono::milliseconds interval)
    : store_(std::move(store)), rank_(rank), world_size_(world_size), interval_(interval) {
  thread_ = std::thread([this] { beat_loop(); });
}

FailureMonitor::~FailureMonitor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void FailureMonitor::set_phase(const std::string& phase) {
  std::lock_guard<std::mutex> lock(mutex_);
  phase_ = phase;
}

void FailureMonitor::beat_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    const std::string phase = phase_;
    lock.unlock();
    try {
      store_->add(beat_key(rank_), 1);
      store_->set(phase_key(rank_), std::vector<uint8_t>(phase.begin(), phase.end()));
    } catch (const std::exception&) {
      // The store is gone; diagnose() says so when a collective fails.
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stop_; });
  }
}

void FailureMonitor::report_failure(const std::string& what) {
  try {
    store_->set(failure_key(rank_), std::vector<uint8_t>(what.begin(), what.end()));
  } catch (const std::exception&) {
  }
}

std::string FailureMonitor::diagnose() {
  try {
    std::vector<int64_t> before(static_cast<size_t>(world_size_));
    for (int64_t r = 0; r < world_size_; ++r) before[static_cast<size_t>(r)] = store_->add(beat_key(r), 0);
    std::this_thread::sleep_for(interval_ * 3);
    std::string stopped, phases;
    for (int64_t r = 0; r < world_size_; ++r) {
      if (r == rank_) continue;
      const bool beating = store_->add(beat_key(r), 0) != before[static_cast<size_t>(r)];
      // A rank that reported a failure of its own stopped because of it (often because of the rank that
      // really failed), so it is not the one to name.
      const bool reported = store_->check({failure_key(r)});
      if (!beating && !reported) stopped += (stopped.empty() ? "" : ", ") + std::to_string(r);
      std::string phase = store_->check({phase_key(r)}) ? as_text(store_->get(phase_key(r))) : "not started";
      if (reported) phase += "; exited after its own error: " + as_text(store_->get(failure_key(r)));
      phases += "\n  rank " + std::to_string(r) + (beating ? " (alive): " : " (stopped): ") + phase;
    }
    if (stopped.empty()) return "no other rank stopped without an error of its own; where each is:" + phases;
    return "rank " + stopped + " stopped responding (no heartbeat for " +
           std::to_string(3 * interval_.count()) + " ms); last known phases:" + phases;
  } catch (const std::exception& e) {
    return std::string("the store cannot be reached (") + e.what() +
           "); when rank 0 serves it (no torchrun agent), rank 0 has stopped";
  }
}

}  // namespace focal::train
