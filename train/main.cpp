// focal-train: trains, fine-tunes or evaluates a classifier from a configuration (see --help).
#include "focal/model/cpu_allocator.h"
#include "train/cli.h"
#include "train/trainer.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <exception>
#include <thread>

namespace {

// Ctrl-C / SIGTERM ask the trainer to stop after the current step (it then saves last.pth). The signals are
// blocked in every thread and received by one watcher thread, so no handler touches shared state.
class StopOnSignal {
 public:
  explicit StopOnSignal(focal::train::Trainer& trainer) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    watcher_ = std::thread([this, &trainer] {
      const timespec poll{0, 200 * 1000 * 1000};
      int received = 0;
      while (!done_.load()) {
        if (sigtimedwait(&set_, nullptr, &poll) < 0) continue;
        if (++received == 1) {
          std::fprintf(stderr, "\nstopping after the current step (interrupt again to quit at once)\n");
          trainer.request_stop();
        } else {
          std::_Exit(130);
        }
      }
    });
  }
  ~StopOnSignal() {
    done_.store(true);
    watcher_.join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> done_{false};
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
    focal::train::Trainer trainer(std::move(config), focal::train::TrainerOptions().device(cli.device));
    focal::train::TrainResult result;
    {
      // Before the trainer starts its loader threads, so that they inherit the blocked signals.
      StopOnSignal stop(trainer);
      result = trainer.run();
    }
    return result.interrupted ? 130 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "focal-train: error: %s\n", e.what());
    return 1;
  }
}
