#pragma once
// Dynamic loss scaling for float16 training (torch.amp.GradScaler semantics): the loss is multiplied by
// the scale before backward; before the optimizer step the gradients are divided by it and checked; a step
// whose gradients hold inf/NaN is skipped and the scale is multiplied by backoff_factor; after
// growth_interval consecutive good steps the scale is multiplied by growth_factor. When disabled every call
// is a pass-through (bf16 and float32 need no scaling).
//
// The scale, growth tracker and overflow flag are tensors on the training device, updated by ATen's
// multi-tensor AMP kernels (_amp_foreach_non_finite_check_and_unscale_, _amp_update_scale_), so the step
// needs no host synchronisation: with FusedAdamW the skip itself happens on the device (step_async). The
// accessors that return host values (current_scale, growth_tracker, found_inf, skipped_steps) read back.
#include <torch/arg.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <ATen/core/ivalue.h>

#include <vector>

namespace focal::train {

struct GradScalerOptions {
  TORCH_ARG(bool, enabled) = true;
  TORCH_ARG(double, init_scale) = 65536.0;
  TORCH_ARG(double, growth_factor) = 2.0;
  TORCH_ARG(double, backoff_factor) = 0.5;
  TORCH_ARG(int64_t, growth_interval) = 2000;
};

class GradScaler {
 public:
  explicit GradScaler(GradScalerOptions options = {});

  // loss * scale (the loss itself when disabled); moves the scaler's tensors to the loss's device.
  torch::Tensor scale(const torch::Tensor& loss);
  // Divides the gradients of `params` by the scale in place and sets the overflow flag, on the device;
  // returns the flag (float32 scalar tensor: 1 when any gradient is not finite). Undefined when disabled.
  torch::Tensor unscale_async(const std::vector<torch::Tensor>& params);
  // As unscale_async, and reads the flag back: returns true when any gradient is not finite.
  bool unscale(const std::vector<torch::Tensor>& params);
  // Steps the optimizer unless the last unscale found inf/NaN; returns whether it stepped (reads the flag).
  bool step(torch::optim::Optimizer& optimizer);
  // The same without reading the flag when the optimizer is a FusedAdamW (the skip happens on the device);
  // other optimizers fall back to step().
  void step_async(torch::optim::Optimizer& optimizer);
  // Adjusts the scale after a step (backoff on overflow, growth after growth_interval good steps).
  void update();

  bool enabled() const { return options_.enabled(); }
  double current_scale() const;
  int64_t growth_tracker() const;
  bool found_inf() const;
  // Steps skipped for overflow since construction (not saved in checkpoints).
  int64_t skipped_steps() const;
  // Data parallel: every rank steps or skips together, on the verdict of all (an overflow anywhere skips).
  void set_found_inf(bool found);

  // PyTorch's GradScaler.state_dict(): {"scale", "growth_factor", "backoff_factor", "growth_interval",
  // "_growth_tracker"}; empty when disabled.
  c10::IValue state_dict() const;
  void load_state_dict(const c10::IValue& state);

 private:
  void to_device(const torch::Device& device);

  GradScalerOptions options_;
  torch::Tensor scale_;           // () float32
  torch::Tensor growth_tracker_;  // () int32
  torch::Tensor found_inf_;       // () float32, 1 after an overflow
  torch::Tensor skipped_;         // () float32, running count of skipped steps
  bool unscaled_ = false;
};

}  // namespace focal::train
