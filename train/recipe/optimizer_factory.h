#pragma once
// The optimizer of the original recipe: AdamW (or SGD with Nesterov momentum) over two parameter groups,
// one with weight decay and one without. Exempt from decay, as in the original set_weight_decay: 1-D
// parameters (norm weights), biases, exact names listed by the model's no_weight_decay(), and names that
// contain a fragment from no_weight_decay_keywords() (e.g. relative_position_bias_table).
#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <ATen/core/ivalue.h>

#include <memory>
#include <string>
#include <vector>

namespace focal::train {

struct WeightDecaySplit {
  std::vector<std::string> decay_names;
  std::vector<torch::Tensor> decay;
  std::vector<std::string> no_decay_names;
  std::vector<torch::Tensor> no_decay;
};

// Trainable parameters of `module` in named_parameters() order, split by the rules above.
WeightDecaySplit split_weight_decay(const torch::nn::Module& module, const std::vector<std::string>& skip,
                                    const std::vector<std::string>& skip_keywords);

struct OptimizerOptions {
  // "adamw" | "sgd"
  TORCH_ARG(std::string, name) = "adamw";
  TORCH_ARG(double, lr) = 5e-4;
  TORCH_ARG(double, weight_decay) = 0.05;
  TORCH_ARG(double, eps) = 1e-8;
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.999;
  TORCH_ARG(double, momentum) = 0.9;
  // AdamW through ATen's fused kernel (FusedAdamW); false: torch::optim::AdamW's per-parameter loop (the
  // reference the fused step is tested against). Both keep the same state and checkpoint layout.
  TORCH_ARG(bool, fused) = true;
};

// Group 0: decayed parameters (weight_decay), group 1: the rest (weight decay 0).
std::unique_ptr<torch::optim::Optimizer> build_optimizer(const OptimizerOptions& options,
                                                         const WeightDecaySplit& split);

// The optimizer state in PyTorch's state_dict layout: {"state": {index: {"step", "exp_avg", "exp_avg_sq"}
// (AdamW) or {"momentum_buffer"} (SGD)}, "param_groups": [{"lr", "betas", "eps", "weight_decay", "amsgrad",
// "params": [indices]}]}. Indices number the parameters across groups in order, as PyTorch does.
c10::IValue optimizer_state_dict(const torch::optim::Optimizer& optimizer, const OptimizerOptions& options);
// Restores the per-parameter state and each group's LR; throws when the layout does not match.
void load_optimizer_state_dict(torch::optim::Optimizer& optimizer, const OptimizerOptions& options,
                               const c10::IValue& state);

}  // namespace focal::train
