#pragma once
// Throughput and peak memory of a model: inference (forward) and training (forward, cross-entropy,
// backward, AdamW step) images/s at a batch size and input size, on CPU or CUDA, in float32 or under
// bfloat16 autocast.
#include "focal/layers/classifier.h"

#include <c10/core/Device.h>

#include <string>

namespace focal::eval {

struct BenchmarkOptions {
  int64_t batch_size = 8;
  int64_t img_size = 224;
  int64_t in_chans = 3;
  int64_t warmup = 2;
  int64_t iterations = 5;
  std::string dtype = "fp32";  // fp32 | bf16 (autocast)
  torch::Device device = torch::kCPU;
};

struct BenchmarkResult {
  std::string mode;  // "forward" | "train"
  double images_per_second = 0;
  double seconds_per_iteration = 0;
  double peak_memory_mib = 0;  // CUDA allocator peak on GPU; process peak RSS on CPU
};

BenchmarkResult benchmark_forward(Classifier model, const BenchmarkOptions& options);
BenchmarkResult benchmark_train(Classifier model, const BenchmarkOptions& options);

}  // namespace focal::eval
