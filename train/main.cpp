// focal-train: trains, fine-tunes or evaluates a classifier from a configuration (see --help).
#include "focal/runtime/cpu_allocator.h"
#include "train/cli.h"
#include "train/trainer.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <memory>
#include <thread>

namespace {

// Ctrl-C / SIGTERM ask the trainer to stop after the current step (it then saves last.pth). The signals are
// blocked in every thread and received by one watcher thread, so no handler touches shared state. It is set
// up before anything starts threads (loader workers, the communication backend), since threads inherit the
// mask: a thread that did not block SIGTERM would let it kill the process without a checkpoint.
class StopOnSignal {
 public:
  StopOnSignal() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    watcher_ = std::thread([this] {
      const timespec poll{0, 200 * 1000 * 1000};
      int received = 0;
      while (!done_.load()) {
        const int sig = sigtimedwait(&set_, nullptr, &poll);
        if (sig < 0) continue;
        focal::train::Trainer* trainer = trainer_.load();
        if (++received == 1 && trainer != nullptr) {
          first_signal_.store(sig);
          std::fprintf(stderr, "\nstopping after the current step (interrupt again to quit at once)\n");
          trainer->request_stop();
        } else {
          std::_Exit(128 + sig);  // a second signal, or one before training started: nothing to save
        }
      }
    });
  }
  void attach(focal::train::Trainer* trainer) { trainer_.store(trainer); }
  // The first signal received (0: none), for the exit status 128 + signal of a stopped run.
  int first_signal() const { return first_signal_.load(); }
  ~StopOnSignal() {
    done_.store(true);
    watcher_.join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> done_{false};
  std::atomic<int> first_signal_{0};
  std::atomic<focal::train::Trainer*> trainer_{nullptr};
  std::thread watcher_;
};

}  // namespace

int main(int argc, char** argv) {
  focal::tune_cpu_allocator();
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    auto cli = focal::train::parse_cli(args);
    if (cli.help) {
      std::printf("%s", focal::train::cli_usage().c_str());
      return 0;
    }
    auto config = focal::train::resolve_config(cli);
    StopOnSignal stop;
    // FOCAL_STOP_AFTER_STEPS=N stops as an interruption would after N optimizer steps (last.pth written, exit
    // 130): for time-sliced schedulers and for the resume tests.
    const char* stop_after = std::getenv("FOCAL_STOP_AFTER_STEPS");
    focal::train::Trainer trainer(std::move(config),
                                  focal::train::TrainerOptions()
                                      .device(cli.device)
                                      .local_rank(cli.local_rank)
                                      .resume_optimizer(!cli.no_resume_opt)
                                      .stop_after_steps(stop_after ? std::atoll(stop_after) : 0));
    stop.attach(&trainer);
    // Detaches before the trainer is destroyed, also when run() throws.
    const std::unique_ptr<StopOnSignal, void (*)(StopOnSignal*)> detach(
        &stop, [](StopOnSignal* p) { p->attach(nullptr); });
    const focal::train::TrainResult result = trainer.run();
    // A run stopped early (last.pth written) is not finished: 130 after Ctrl-C, 143 after SIGTERM (a
    // preempted job), so that schedulers and torchrun do not take it for a completed one.
    if (!result.interrupted) return 0;
    return stop.first_signal() == SIGTERM ? 143 : 130;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "focal-train: error: %s\n", e.what());
    return 1;
  }
}
