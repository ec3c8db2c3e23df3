#include "eval/evaluator/throughput.h"

#include "focal/runtime/autocast_scope.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>

namespace focal::eval {

double measure_throughput(const ForwardFn& forward, const torch::Tensor& images, const torch::Device& device,
                          const ThroughputOptions& options,
                          const std::function<void(const std::string&)>& log) {
  torch::NoGradGuard no_grad;
  AutocastScope autocast(device.type(), options.amp_dtype());
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  auto note = [&](const std::string& phase, int64_t i, int64_t n) {
    if (log && (i % 10 == 0 || i == n)) log(phase + " " + std::to_string(i) + "/" + std::to_string(n));
  };
  for (int64_t i = 1; i <= options.warmup(); ++i) {
    forward(images);
    note("throughput: warm-up", i, options.warmup());
  }
  sync();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 1; i <= options.iters(); ++i) {
    forward(images);
    note("throughput: timed", i, options.iters());
  }
  sync();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(options.iters() * images.size(0)) / std::max(seconds, 1e-12);
}

}  // namespace focal::eval
