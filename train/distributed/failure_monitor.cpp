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
                               std::chrono::milliseconds interval, std::chrono::milliseconds dead_after,
                               std::function<void(const std::string&)> on_dead)
    : store_(std::move(store)),
      rank_(rank),
      world_size_(world_size),
      interval_(interval),
      dead_after_(dead_after),
      on_dead_(std::move(on_dead)) {
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
  if (phase != phase_) phase_since_ = std::chrono::steady_clock::now();
  phase_ = phase;
}

void FailureMonitor::beat_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    const std::string phase = phase_;
    const auto stuck_for = std::chrono::steady_clock::now() - phase_since_;
    lock.unlock();
    if (dead_after_.count() > 0 && on_dead_ && stuck_for >= 5 * interval_) {
      watch_peers();
    } else {
      seen_.clear();  // moving again: start afresh the next time it is stuck
    }
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

void FailureMonitor::watch_peers() {
  const auto now = std::chrono::steady_clock::now();
  if (seen_.empty()) {
    seen_.assign(static_cast<size_t>(world_size_), -1);
    moved_.assign(static_cast<size_t>(world_size_), now);
  }
  std::string dead;
  for (int64_t r = 0; r < world_size_; ++r) {
    if (r == rank_) continue;
    const auto i = static_cast<size_t>(r);
    int64_t beats = seen_[i];
    try {
      beats = store_->add(beat_key(r), 0);
    } catch (const std::exception&) {
      // Unreachable store: counts as no movement; diagnose() tells the store's failure apart.
    }
    if (beats != seen_[i]) {
      seen_[i] = beats;
      moved_[i] = now;
    } else if (now - moved_[i] >= dead_after_) {
      dead += (dead.empty() ? "" : ", ") + std::to_string(r);
    }
  }
  if (!dead.empty()) {
    on_dead_("rank " + dead + " sent no heartbeat for " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(dead_after_).count()) +
             " s (DIST.HEARTBEAT_TIMEOUT) while this rank waited");
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
