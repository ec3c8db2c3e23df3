#pragma once
// TRAIN.CUDA_GRAPH: the whole training step (forward, loss, backward, loss-scale unscale, gradient clipping,
// the fused AdamW step, the loss-scale update and the EMA update) captured once in a CUDA graph and replayed
// for every batch, as PyTorch's whole-network capture (torch.cuda.graph): a few eager warm-up steps on a side
// stream, then one capture on static input and target buffers that every batch is copied into. The step
// must be free of host synchronisation and of host decisions that change between steps: the fused AdamW
// reads the LR from device tensors (FusedAdamW::use_lr_tensors, written before each replay) and skips an
// fp16 overflow step on the device, the clipping factor and the loss scale stay on the device. Warm-up
// steps and the captured step are real training steps; the capture itself computes nothing, so the batch
// it is made on is trained by the first replay.
#include "train/recipe/fused_adamw.h"
#include "train/recipe/train_settings.h"

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace focal::train {

// Throws ConfigError naming TRAIN.CUDA_GRAPH and the reason when a run with these settings cannot capture
// its step: not a CUDA device, several processes (the gradient reducer and the per-batch all-reduce run on
// the host), gradient accumulation, an optimizer other than the fused AdamW, activation checkpointing.
// capture false (CudaGraphStepOptions::capture): any device.
void check_cuda_graph_supported(const TrainSettings& settings, const torch::Device& device,
                                int64_t world_size, bool capture = true);

struct CudaGraphStepOptions {
  // Eager steps on the side stream before the capture (PyTorch's examples use 3; lazily built state, the
  // optimizer moments and the models' index tables, is created by them).
  TORCH_ARG(int64_t, warmup_steps) = 3;
  // false: every step runs eagerly on the current stream, never captured, on any device: the path's static
  // buffers, LR tensors and bookkeeping without the graph (tests on the CPU).
  TORCH_ARG(bool, capture) = true;
};

class CudaGraphStep {
 public:
  struct Outputs {
    torch::Tensor loss;  // () the batch's loss, detached
    torch::Tensor norm;  // () gradient norm before clipping
  };
  // One training step on `images` and `targets`, with no host synchronisation and without zeroing the
  // gradients (they must be unset when the step starts: backward writes them, the optimizer reads them).
  using StepFn = std::function<Outputs(const torch::Tensor& images, const torch::Tensor& targets)>;

  CudaGraphStep(StepFn step, FusedAdamW& optimizer, const torch::Device& device,
                CudaGraphStepOptions options = {});
  ~CudaGraphStep();
  CudaGraphStep(const CudaGraphStep&) = delete;
  CudaGraphStep& operator=(const CudaGraphStep&) = delete;

  // Trains on this batch: copies it into the static buffers (allocated on the first call; a batch of
  // another shape or dtype throws), writes the groups' LR into the optimizer's LR tensors, then runs the
  // step eagerly (warm-up), or captures it and replays it, or replays it. The outputs of replays are the
  // graph's static tensors: read them before the next call.
  Outputs run(const torch::Tensor& images, const torch::Tensor& targets);

  bool captured() const;
  int64_t steps() const { return steps_; }

 private:
  struct Cuda;
  StepFn step_;
  FusedAdamW& optimizer_;
  torch::Device device_;
  CudaGraphStepOptions options_;
  torch::Tensor static_images_, static_targets_;
  Outputs static_outputs_;
  int64_t steps_ = 0;
  std::unique_ptr<Cuda> cuda_;
};

}  // namespace focal::train
