#pragma once
// AdamW through ATen's fused kernel (at::_fused_adamw_): one pass over each parameter per step instead of
// the seven element-wise operations of torch::optim::AdamW's per-parameter loop, the same update rule
// (decoupled weight decay p *= 1 - lr * wd, bias-corrected moments), the same parameter groups and the
// same per-parameter state (torch::optim::AdamWParamState), so checkpoints and optimizer_state_dict() are
// unchanged. The step counts live in float32 scalar tensors on the parameters' device, as PyTorch's fused
// AdamW keeps them, so that an fp16 step can be skipped on the device (step_unless) without reading the
// overflow flag back to the host.
#include <torch/optim/adamw.h>

#include <c10/core/TensorImpl.h>

#include <unordered_map>
#include <vector>

namespace focal::train {

class FusedAdamW : public torch::optim::AdamW {
 public:
  explicit FusedAdamW(const std::vector<torch::optim::OptimizerParamGroup>& groups,
                      torch::optim::AdamWOptions defaults = {});

  // One AdamW step over every parameter that has a gradient (the closure, if any, is evaluated first).
  torch::Tensor step(LossClosure closure = nullptr) override;
  // The step of a mixed-precision run: skipped, on the device, when found_inf (a float32 scalar tensor
  // on the parameters' device, 1 for overflow, 0 otherwise) is 1; the step counts are then left as they were.
  void step_unless(const torch::Tensor& found_inf);

  // The number of steps taken by `p` (reads its step tensor back: a host synchronisation on a GPU).
  int64_t step_count(const torch::Tensor& p) const;
  // Call after state() was replaced (a checkpoint loaded): the step tensors are rebuilt from it.
  void reset_step_tensors() { steps_.clear(); }

  // From now on every group's LR is read by the kernel from a float32 scalar tensor on its parameters'
  // device (the kernel's tensor-LR form) instead of being passed as a number, so that a step captured in a
  // CUDA graph follows the schedule. The tensors hold what write_lr_tensors() last wrote into them: call it
  // before each step (outside a capture), after the schedule has set the groups' LR.
  void use_lr_tensors();
  // Copies each group's options().get_lr() into its LR tensor (a device write, no host synchronisation).
  void write_lr_tensors();
  bool uses_lr_tensors() const { return !lr_tensors_.empty(); }

 private:
  void fused_step(const torch::Tensor* found_inf);

  // Step count of each parameter, keyed like state(): float32 scalar tensors on the parameter's device.
  std::unordered_map<c10::TensorImpl*, torch::Tensor> steps_;
  // One () float32 LR per parameter group when use_lr_tensors() was called, else empty.
  std::vector<torch::Tensor> lr_tensors_;
};

}  // namespace focal::train
