#include "train/recipe/grad_norm.h"

#include <ATen/ops/_foreach_mul.h>
#include <ATen/ops/_foreach_norm.h>
#include <torch/torch.h>

namespace focal::train {

namespace {

std::vector<torch::Tensor> defined_grads(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  grads.reserve(params.size());
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

// The global norm in float32: one norm per tensor (one multi-tensor kernel on a GPU), then their norm.
torch::Tensor total_norm(const std::vector<torch::Tensor>& grads) {
  if (grads.empty()) return torch::zeros({});
  bool all_float = true;
  for (const auto& g : grads) all_float = all_float && g.scalar_type() == torch::kFloat;
  auto norms = at::_foreach_norm(grads, 2, all_float ? std::nullopt : std::optional(torch::kFloat));
  return torch::stack(norms).norm();  // () global
}

}  // namespace

torch::Tensor grad_norm_tensor(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  return total_norm(defined_grads(params));
}

torch::Tensor clip_grad_norm_tensor(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  auto grads = defined_grads(params);
  auto norm = total_norm(grads);  // ()
  if (max_norm <= 0 || grads.empty()) return norm;
  // coef = max_norm / (norm + 1e-6), applied only when below 1 and when the norm is finite; a factor of
  // exactly 1 leaves the gradients bitwise unchanged, so no host decision is needed.
  auto coef = max_norm / (norm + 1e-6);                                                     // ()
  coef = torch::where(torch::isfinite(norm) & (coef < 1.0), coef, torch::ones_like(coef));  // ()
  at::_foreach_mul_(grads, coef);
  return norm;
}

double grad_norm(const std::vector<torch::Tensor>& params) { return grad_norm_tensor(params).item<double>(); }

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  return clip_grad_norm_tensor(params, max_norm).item<double>();
}

}  // namespace focal::train
