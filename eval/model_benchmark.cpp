#include "eval/model_benchmark.h"

#include "focal/runtime/autocast_scope.h"
#include "train/recipe/optimizer_factory.h"

#include <torch/csrc/autograd/profiler_kineto.h>
#include <torch/torch.h>

#if __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define FOCAL_HAVE_CUDA_ALLOCATOR 1
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace focal::eval {
namespace {

// Peak-memory bookkeeping: the CUDA allocator's peak on a GPU; on the CPU the kernel's resident-set
// high-water mark (VmHWM), which writing 5 to /proc/self/clear_refs resets.
void reset_peak_memory(const torch::Device& device) {
#ifdef FOCAL_HAVE_CUDA_ALLOCATOR
  if (device.is_cuda()) {
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index() < 0 ? 0 : device.index());
    return;
  }
#endif
  std::ofstream("/proc/self/clear_refs") << "5";
}

double peak_memory_mib(const torch::Device& device) {
#ifdef FOCAL_HAVE_CUDA_ALLOCATOR
  if (device.is_cuda()) {
    const auto stats =
        c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
    const auto& peak =
        stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
    return static_cast<double>(peak) / (1024.0 * 1024.0);
  }
#endif
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0;
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index() < 0 ? 0 : device.index());
}

BenchmarkResult timed(const std::string& mode, const BenchmarkOptions& o, const std::function<void()>& step) {
  for (int64_t i = 0; i < o.warmup; ++i) step();
  synchronize(o.device);
  reset_peak_memory(o.device);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < o.iterations; ++i) step();
  synchronize(o.device);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BenchmarkResult r;
  r.mode = mode;
  r.seconds_per_iteration = seconds / static_cast<double>(o.iterations);
  r.images_per_second = static_cast<double>(o.batch_size * o.iterations) / seconds;
  r.peak_memory_mib = peak_memory_mib(o.device);
  return r;
}

}  // namespace

BenchmarkResult benchmark_forward(Classifier model, const BenchmarkOptions& o) {
  model->to(o.device);
  model->eval();
  auto images = torch::randn({o.batch_size, o.in_chans, o.img_size, o.img_size}, torch::device(o.device));
  return timed("forward", o, [&] {
    torch::NoGradGuard no_grad;
    AutocastScope autocast(o.device.type(), parse_precision(o.dtype, "--dtype"));
    model->forward(images);
  });
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t, const torch::Device& device) {
  synchronize(device);
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Classifier& model, const BenchmarkOptions& o) {
  if (o.optimizer != "fused" && o.optimizer != "loop")
    throw std::invalid_argument("--optimizer must be fused or loop, not '" + o.optimizer + "'");
  auto split = train::split_weight_decay(*model, model->no_weight_decay(), model->no_weight_decay_keywords());
  return train::build_optimizer(train::OptimizerOptions().fused(o.optimizer == "fused"), split);
}

// Operator self times (duration minus that of the operators it called, per thread) summed by name.
std::string self_time_table(const torch::autograd::profiler::ProfilerResult& result, int64_t steps) {
  struct Ev {
    uint64_t start, end, thread;
    std::string name;
  };
  std::vector<Ev> evs;
  for (const auto& e : result.events()) {
    if (e.durationNs() == 0) continue;
    evs.push_back({e.startNs(), e.endNs(), e.startThreadId(), e.name()});
  }
  std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
    return a.thread != b.thread ? a.thread < b.thread
                                : (a.start != b.start ? a.start < b.start : a.end > b.end);
  });
  std::map<std::string, std::pair<double, int64_t>> self;  // name -> (seconds, calls)
  std::vector<std::pair<const Ev*, double>> stack;         // open events and their children's time
  auto close_until = [&](uint64_t t, uint64_t thread) {
    while (!stack.empty() && (stack.back().first->thread != thread || stack.back().first->end <= t)) {
      const Ev* e = stack.back().first;
      const double dur = static_cast<double>(e->end - e->start) * 1e-9;
      auto& slot = self[e->name];
      slot.first += std::max(0.0, dur - stack.back().second);
      slot.second += 1;
      stack.pop_back();
      if (!stack.empty() && stack.back().first->thread == e->thread) stack.back().second += dur;
    }
  };
  for (const auto& e : evs) {
    close_until(e.start, e.thread);
    stack.emplace_back(&e, 0.0);
  }
  close_until(UINT64_MAX, UINT64_MAX);
  std::vector<std::pair<std::string, std::pair<double, int64_t>>> rows(self.begin(), self.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  double total = 0;
  for (const auto& r : rows) total += r.second.first;
  std::string out = "operator self time per step (CPU events, all threads that record operators):\n";
  char line[256];
  for (size_t i = 0; i < rows.size() && i < 30; ++i) {
    std::snprintf(line, sizeof line, "  %-58s %9.1f ms %5.1f%% %7lld calls\n", rows[i].first.c_str(),
                  1e3 * rows[i].second.first / static_cast<double>(steps),
                  100.0 * rows[i].second.first / total,
                  static_cast<long long>(rows[i].second.second / steps));
    out += line;
  }
  std::snprintf(line, sizeof line, "  %-58s %9.1f ms\n", "(all operators)",
                1e3 * total / static_cast<double>(steps));
  return out + line;
}

}  // namespace

BenchmarkResult benchmark_train(Classifier model, const BenchmarkOptions& o) {
  model->to(o.device);
  model->train();
  auto images = torch::randn({o.batch_size, o.in_chans, o.img_size, o.img_size}, torch::device(o.device));
  auto labels =
      torch::randint(model->num_classes(), {o.batch_size}, torch::device(o.device).dtype(torch::kLong));
  auto optimizer = make_optimizer(model, o);
  double t_fwd = 0, t_bwd = 0, t_opt = 0;
  bool timing_phases = false;
  auto step = [&] {
    auto t0 = Clock::now();
    optimizer->zero_grad();
    torch::Tensor loss;
    {
      AutocastScope autocast(o.device.type(), parse_precision(o.dtype, "--dtype"));
      loss = torch::nn::functional::cross_entropy(model->forward(images), labels);
    }
    if (timing_phases) t_fwd += since(t0, o.device), t0 = Clock::now();
    loss.backward();
    if (timing_phases) t_bwd += since(t0, o.device), t0 = Clock::now();
    optimizer->step();
    if (timing_phases) t_opt += since(t0, o.device);
  };
  auto r = timed("train", o, step);
  if (o.profile) {
    // A second timed run: the phase timers synchronise a GPU, and the profiler adds overhead of its own.
    timing_phases = true;
    using namespace torch::autograd::profiler;
    const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
    const std::set<torch::profiler::impl::ActivityType> activities{torch::profiler::impl::ActivityType::CPU};
    prepareProfiler(config, activities);
    enableProfiler(config, activities);
    for (int64_t i = 0; i < o.iterations; ++i) step();
    auto result = disableProfiler();
    const auto n = static_cast<double>(o.iterations);
    r.forward_seconds = t_fwd / n, r.backward_seconds = t_bwd / n, r.optimizer_seconds = t_opt / n;
    r.profile_table = self_time_table(*result, o.iterations);
  }
  return r;
}

BenchmarkResult benchmark_optimizer(Classifier model, const BenchmarkOptions& o) {
  model->to(o.device);
  auto optimizer = make_optimizer(model, o);
  for (auto& p : model->parameters()) {
    if (p.requires_grad()) p.mutable_grad() = torch::randn_like(p) * 1e-3;
  }
  auto r = timed("optimizer", o, [&] { optimizer->step(); });
  r.images_per_second = 0;  // a step, not images
  return r;
}

}  // namespace focal::eval
