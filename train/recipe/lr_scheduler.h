#pragma once
// Per-iteration learning-rate schedules with the semantics of timm's schedulers as the original training
// script builds them (t_in_epochs=False): a linear warm-up from warmup_lr_init to the base LR over warmup_t
// updates, then a cosine (or linear, or step) decay. The schedule sets the LR of every parameter group of
// the optimizer; each group keeps its own base LR.
#include <torch/arg.h>
#include <torch/optim/optimizer.h>

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <string>
#include <vector>

namespace focal::train {

struct LrSchedulerOptions {
  // "cosine" (timm CosineLRScheduler), "linear" (Swin's LinearLRScheduler), "step" (timm StepLRScheduler).
  TORCH_ARG(std::string, name) = "cosine";
  // Length of the cosine cycle (or of the linear decay) in updates; warm-up updates included unless
  // warmup_prefix.
  TORCH_ARG(int64_t, t_initial) = 1;
  TORCH_ARG(double, lr_min) = 0.0;
  TORCH_ARG(int64_t, warmup_t) = 0;
  TORCH_ARG(double, warmup_lr_init) = 0.0;
  // Cosine: the number of cycles; past them the LR stays at lr_min.
  TORCH_ARG(int64_t, cycle_limit) = 1;
  // Cosine: the cycle starts after the warm-up instead of at update 0.
  TORCH_ARG(bool, warmup_prefix) = false;
  // Step: the LR is multiplied by decay_rate every decay_t updates.
  TORCH_ARG(int64_t, decay_t) = 1;
  TORCH_ARG(double, decay_rate) = 0.1;
  // Linear: the LR decays to base * lr_min_rate at t_initial.
  TORCH_ARG(double, lr_min_rate) = 0.01;
};

class LrScheduler {
 public:
  // Records each group's current LR as its base LR and, with a warm-up, sets the warm-up start LR.
  LrScheduler(torch::optim::Optimizer& optimizer, LrSchedulerOptions options);

  // The LR of every group after `num_updates` updates (timm's _get_lr(t)).
  std::vector<double> lr_at(int64_t num_updates) const;
  // Sets the groups' LR to lr_at(num_updates) (timm's step_update).
  void step_update(int64_t num_updates);

  const std::vector<double>& base_lrs() const { return base_lrs_; }
  const LrSchedulerOptions& options() const { return options_; }
  int64_t last_update() const { return last_update_; }

  // {"name", "t_initial", ..., "base_values", "last_update"}; loading re-applies the LR of last_update
  // (timm's state dicts, without last_update, restore the bases only and leave the groups' LR alone).
  c10::IValue state_dict() const;
  void load_state_dict(const c10::IValue& state);

 private:
  double lr_for_group(double base, int64_t t) const;
  void apply(const std::vector<double>& lrs);

  torch::optim::Optimizer* optimizer_;
  LrSchedulerOptions options_;
  std::vector<double> base_lrs_;
  int64_t last_update_ = -1;
};

}  // namespace focal::train
