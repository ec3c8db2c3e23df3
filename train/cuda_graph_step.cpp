#include "train/cuda_graph_step.h"

#include "focal/config/config_error.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#if __has_include(<ATen/cuda/CUDAGraph.h>) && __has_include(<ATen/cuda/CUDAEvent.h>)
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define FOCAL_CUDA_GRAPH 1
#endif

#include <sstream>
#include <stdexcept>
#include <string>

namespace focal::train {

void check_cuda_graph_supported(const TrainSettings& settings, const torch::Device& device,
                                int64_t world_size, bool capture) {
  if (!settings.cuda_graph) return;
  auto refuse = [](const std::string& why) {
    throw ConfigError("TRAIN.CUDA_GRAPH True: " + why + "; set TRAIN.CUDA_GRAPH False to train without it");
  };
  if (capture && !device.is_cuda()) {
    refuse("needs a CUDA device, this run's device is " + device.str() +
           " (a CUDA graph replays captured GPU kernels)");
  }
  if (world_size > 1) {
    refuse("is for one process, this run has " + std::to_string(world_size) +
           ": the gradient reducer's all-reduce inside backward and the per-batch all-reduce of the loss "
           "and stop flags are driven from the host and cannot be captured");
  }
  if (settings.accumulation_steps > 1) {
    refuse("captures one optimizer step per batch and cannot be combined with TRAIN.ACCUMULATION_STEPS " +
           std::to_string(settings.accumulation_steps) + " (use 1, and a larger DATA.BATCH_SIZE)");
  }
  if (settings.optimizer.name() != "adamw" || !settings.optimizer.fused()) {
    refuse("needs the fused AdamW (TRAIN.OPTIMIZER.NAME adamw), this run has " + settings.optimizer.name() +
           (settings.optimizer.fused() ? "" : " without the fused kernel") +
           ": only the fused AdamW reads its LR from a device tensor (otherwise the schedule's LR would "
           "stay frozen in the graph) and skips an fp16 overflow step on the device");
  }
  if (settings.use_checkpoint) {
    refuse(
        "cannot be combined with TRAIN.USE_CHECKPOINT: the activation checkpoint's recomputation saves and "
        "restores the CUDA generator's state from the host, which a replayed graph does not do");
  }
}

#ifdef FOCAL_CUDA_GRAPH
struct CudaGraphStep::Cuda {
  explicit Cuda(const torch::Device& device) : side(c10::cuda::getStreamFromPool(false, device.index())) {}
  c10::cuda::CUDAStream side;  // warm-up and capture: a graph cannot be captured on the default stream
  std::unique_ptr<at::cuda::CUDAGraph> graph;
};
#else
struct CudaGraphStep::Cuda {};
#endif

CudaGraphStep::CudaGraphStep(StepFn step, FusedAdamW& optimizer, const torch::Device& device,
                             CudaGraphStepOptions options)
    : step_(std::move(step)), optimizer_(optimizer), device_(device), options_(options) {
  if (!options_.capture()) {
    if (!optimizer_.uses_lr_tensors()) optimizer_.use_lr_tensors();
    return;
  }
  if (!device_.is_cuda()) {
    throw ConfigError("TRAIN.CUDA_GRAPH True needs a CUDA device, not " + device_.str());
  }
#ifdef FOCAL_CUDA_GRAPH
  if (device_.index() < 0) device_ = torch::Device(torch::kCUDA, c10::cuda::current_device());
  cuda_ = std::make_unique<Cuda>(device_);
#else
  throw ConfigError("TRAIN.CUDA_GRAPH True: this build has no CUDA graph support (ATen/cuda/CUDAGraph.h)");
#endif
  if (!optimizer_.uses_lr_tensors()) optimizer_.use_lr_tensors();
}

CudaGraphStep::~CudaGraphStep() = default;

bool CudaGraphStep::captured() const {
#ifdef FOCAL_CUDA_GRAPH
  return cuda_ && cuda_->graph != nullptr;
#else
  return false;
#endif
}

CudaGraphStep::Outputs CudaGraphStep::run(const torch::Tensor& images, const torch::Tensor& targets) {
  torch::NoGradGuard no_grad;  // the copies below; the step enables gradients itself where it needs them
  if (!static_images_.defined()) {
    static_images_ = torch::empty_like(images, torch::MemoryFormat::Contiguous);
    static_targets_ = torch::empty_like(targets, torch::MemoryFormat::Contiguous);
  }
  auto same = [](const torch::Tensor& a, const torch::Tensor& b) {
    return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && a.device() == b.device();
  };
  if (!same(images, static_images_) || !same(targets, static_targets_)) {
    std::ostringstream msg;
    msg << "TRAIN.CUDA_GRAPH True: the step was captured for images " << static_images_.sizes()
        << " and targets " << static_targets_.sizes() << " (" << static_targets_.scalar_type() << ") on "
        << static_images_.device() << ", this batch has images " << images.sizes() << " and targets "
        << targets.sizes() << " (" << targets.scalar_type() << ") on " << images.device()
        << ": a graph needs static shapes (set TRAIN.CUDA_GRAPH False for this data)";
    throw std::runtime_error(msg.str());
  }
  static_images_.copy_(images, /*non_blocking=*/true);
  static_targets_.copy_(targets, /*non_blocking=*/true);
  optimizer_.write_lr_tensors();  // outside the graph: the schedule's LR of this step
  ++steps_;
  if (!options_.capture()) {
    torch::AutoGradMode grad(true);
    auto out = step_(static_images_, static_targets_);
    optimizer_.zero_grad();
    return out;
  }
#ifdef FOCAL_CUDA_GRAPH

  auto& c = *cuda_;
  const auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
  if (c.graph) {
    c.graph->replay();
    return static_outputs_;
  }
  auto on_side_stream = [&](auto&& work) {
    at::cuda::CUDAEvent before, after;
    before.record(compute);
    before.block(c.side);
    {
      c10::cuda::CUDAStreamGuard guard(c.side);
      work();
    }
    after.record(c.side);
    after.block(compute);
  };
  // The autocast cache would keep casts made during the capture alive outside the graph's pool.
  const bool cache = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(false);
  struct RestoreCache {
    bool enabled;
    ~RestoreCache() { at::autocast::set_autocast_cache_enabled(enabled); }
  } restore{cache};

  if (steps_ <= options_.warmup_steps()) {
    Outputs out;
    on_side_stream([&] {
      torch::AutoGradMode grad(true);
      out = step_(static_images_, static_targets_);
      optimizer_.zero_grad();  // set to none: the next step's backward writes them afresh
    });
    out.loss.record_stream(compute);
    out.norm.record_stream(compute);
    return out;
  }
  // Unset gradients at the capture: backward then writes them into the graph's memory on every replay
  // instead of adding to what the previous step left.
  optimizer_.zero_grad();
  torch::cuda::synchronize(device_.index());
  on_side_stream([&] {
    torch::AutoGradMode grad(true);
    c.graph = std::make_unique<at::cuda::CUDAGraph>();
    c.graph->capture_begin();
    try {
      static_outputs_ = step_(static_images_, static_targets_);
    } catch (const std::exception& e) {
      std::string what = e.what();
      if (const auto* ce = dynamic_cast<const c10::Error*>(&e)) what = ce->what_without_backtrace();
      try {
        c.graph->capture_end();
      } catch (...) {  // the capture is broken anyway: report the step's own error
      }
      c.graph.reset();
      throw std::runtime_error(
          "TRAIN.CUDA_GRAPH True: the training step could not be captured in a CUDA graph (an operation "
          "that synchronises with the host or is not capturable): " +
          what + "; set TRAIN.CUDA_GRAPH False");
    }
    c.graph->capture_end();
  });
  static_outputs_.loss.record_stream(compute);
  static_outputs_.norm.record_stream(compute);
  c.graph->replay();  // the capture recorded the step without running it: this trains on the batch
  return static_outputs_;
#else
  throw std::runtime_error("TRAIN.CUDA_GRAPH True: this build has no CUDA graph support");
#endif
}

}  // namespace focal::train
