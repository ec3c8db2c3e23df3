#include "eval/model_benchmark.h"

#include "focal/runtime/autocast_scope.h"

#include <torch/torch.h>

#if __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define FOCAL_HAVE_CUDA_ALLOCATOR 1
#endif

#include <chrono>
#include <fstream>
#include <functional>
#include <string>

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

BenchmarkResult benchmark_train(Classifier model, const BenchmarkOptions& o) {
  model->to(o.device);
  model->train();
  auto images = torch::randn({o.batch_size, o.in_chans, o.img_size, o.img_size}, torch::device(o.device));
  auto labels =
      torch::randint(model->num_classes(), {o.batch_size}, torch::device(o.device).dtype(torch::kLong));
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(5e-4).weight_decay(0.05));
  return timed("train", o, [&] {
    optimizer.zero_grad();
    torch::Tensor loss;
    {
      AutocastScope autocast(o.device.type(), parse_precision(o.dtype, "--dtype"));
      loss = torch::nn::functional::cross_entropy(model->forward(images), labels);
    }
    loss.backward();
    optimizer.step();
  });
}

}  // namespace focal::eval
