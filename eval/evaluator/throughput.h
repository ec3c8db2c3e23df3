#pragma once
// Inference throughput as the original main.py's throughput() measures it: one batch of images, 50 forward
// passes to warm up, then 30 timed ones (synchronising CUDA before and after); images/s = 30 * batch /
// seconds. focal-eval --throughput uses it so that the original README's speed column can be re-measured.
#include "eval/evaluator/evaluation_loop.h"

#include <torch/types.h>

#include <functional>
#include <optional>
#include <string>

namespace focal::eval {

struct ThroughputOptions {
  TORCH_ARG(int64_t, warmup) = 50;
  TORCH_ARG(int64_t, iters) = 30;
  TORCH_ARG(std::optional<c10::ScalarType>, amp_dtype) = std::nullopt;
};

// `images` (B, C, H, W) on `device`. `log` (optional) receives a line every 10 passes.
double measure_throughput(const ForwardFn& forward, const torch::Tensor& images, const torch::Device& device,
                          const ThroughputOptions& options = ThroughputOptions(),
                          const std::function<void(const std::string&)>& log = {});

}  // namespace focal::eval
