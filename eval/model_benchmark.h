#pragma once
// Throughput and peak memory of a model: inference (forward) and training (forward, cross-entropy,
// backward, AdamW step) images/s at a batch size and input size, on CPU or CUDA, in float32 or under
// bfloat16 autocast.
#include "focal/layers/backbone/classifier.h"

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
  // The training step's optimizer: "fused" (focal-train's FusedAdamW over its two weight-decay groups) or
  // "loop" (torch::optim::AdamW's per-parameter loop, the same groups).
  std::string optimizer = "fused";
  // Train mode: also time forward, backward and optimizer step separately, and list the operators with the
  // most self time (LibTorch's profiler, CPU events) over the timed steps.
  bool profile = false;
};

struct BenchmarkResult {
  std::string mode;  // "forward" | "train"
  double images_per_second = 0;
  double seconds_per_iteration = 0;
  double peak_memory_mib = 0;  // CUDA allocator peak on GPU; process peak RSS on CPU
  // With BenchmarkOptions::profile: seconds per step in forward, backward and the optimizer step, and a
  // printable table of operator self times.
  double forward_seconds = 0, backward_seconds = 0, optimizer_seconds = 0;
  std::string profile_table;
};

BenchmarkResult benchmark_forward(Classifier model, const BenchmarkOptions& options);
BenchmarkResult benchmark_train(Classifier model, const BenchmarkOptions& options);
// The optimizer step alone (fixed random gradients on every parameter): AdamW as options.optimizer says.
BenchmarkResult benchmark_optimizer(Classifier model, const BenchmarkOptions& options);

}  // namespace focal::eval
