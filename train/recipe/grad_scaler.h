#pragma once
// Dynamic loss scaling for float16 training (torch.cuda.amp.GradScaler semantics): the loss is multiplied by
// the scale before backward; before the optimizer step the gradients are divided by it and checked; a step
// whose gradients hold inf/NaN is skipped and the scale is multiplied by backoff_factor; after
// growth_interval consecutive good steps the scale is multiplied by growth_factor. When disabled every call
// is a pass-through (bf16 and float32 need no scaling).
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

  // loss * scale (the loss itself when disabled).
  torch::Tensor scale(const torch::Tensor& loss) const;
  // Divides the gradients of `params` by the scale in place; returns true when any of them is not finite.
  bool unscale(const std::vector<torch::Tensor>& params);
  // Steps the optimizer unless the last unscale found inf/NaN; returns whether it stepped.
  bool step(torch::optim::Optimizer& optimizer);
  // Adjusts the scale after a step (backoff on overflow, growth after growth_interval good steps).
  void update();

  bool enabled() const { return options_.enabled(); }
  double current_scale() const { return enabled() ? scale_ : 1.0; }
  int64_t growth_tracker() const { return growth_tracker_; }
  bool found_inf() const { return found_inf_; }
  // Data parallel: every rank steps or skips together, on the verdict of all (an overflow anywhere skips).
  void set_found_inf(bool found) { found_inf_ = found; }

  // PyTorch's GradScaler.state_dict(): {"scale", "growth_factor", "backoff_factor", "growth_interval",
  // "_growth_tracker"}; empty when disabled.
  c10::IValue state_dict() const;
  void load_state_dict(const c10::IValue& state);

 private:
  GradScalerOptions options_;
  double scale_;
  int64_t growth_tracker_ = 0;
  bool found_inf_ = false;
  bool unscaled_ = false;
};

}  // namespace focal::train
