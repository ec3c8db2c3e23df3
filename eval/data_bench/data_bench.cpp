#include "eval/data_bench/data_bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace focal::bench {
namespace {

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace

DataBenchResult run_data_bench(focal::data::DataConfig cfg, const std::string& transform, int64_t batches) {
  std::unique_ptr<focal::data::Loader> loader;
  if (transform == "train") {
    cfg.auto_augment = "none";
    cfg.color_jitter = 0;
    cfg.reprob = 0;
    loader = focal::data::build_train_loader(cfg);
  } else if (transform == "train-ra") {
    cfg.auto_augment = "rand-m9-mstd0.5-inc1";
    cfg.reprob = 0.25;
    cfg.remode = "pixel";
    loader = focal::data::build_train_loader(cfg);
  } else if (transform == "eval") {
    // The folder is read as the validation split: sequential order, eval transform.
    loader = focal::data::build_val_loader(cfg);
  } else {
    throw std::invalid_argument("unknown transform '" + transform + "' (train, train-ra or eval)");
  }
  if (loader->batches_per_epoch() < 1) throw std::invalid_argument("the dataset is smaller than one batch");
  int64_t epoch = 0;
  auto next_batch = [&] {
    for (;;) {
      if (auto b = loader->next()) return *b;
      loader->set_epoch(++epoch);
    }
  };
  next_batch();  // warm-up: threads started, files in the page cache
  DataBenchResult r;
  r.transform = transform;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < batches; ++i) r.images += next_batch().images.size(0);
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu_seconds = process_cpu_seconds() - cpu0;
  const auto hw = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  r.cores = cfg.num_workers == 0 ? 1 : std::min(cfg.num_workers, hw);
  return r;
}

}  // namespace focal::bench
