#include "eval/halonet_compare/benchmark.h"

#include <torch/torch.h>

#include <chrono>

namespace focal::halonet_compare {

double benchmark_images_per_second(focal::ClassifierImpl& model, const BenchmarkSetup& setup) {
  auto images = torch::randn({setup.batch, 3, setup.img_size, setup.img_size}, torch::device(setup.device));
  auto step = [&] {
    if (setup.backward) {
      model.zero_grad();
      model.forward(images).sum().backward();
    } else {
      torch::NoGradGuard no_grad;
      model.forward(images);
    }
  };
  model.train(setup.backward);
  auto synchronize = [&] {
    if (setup.device.is_cuda()) torch::cuda::synchronize(setup.device.index() < 0 ? 0 : setup.device.index());
  };
  for (int64_t i = 0; i < setup.warmup; ++i) step();
  synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < setup.iterations; ++i) step();
  synchronize();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return static_cast<double>(setup.batch * setup.iterations) / elapsed.count();
}

}  // namespace focal::halonet_compare
