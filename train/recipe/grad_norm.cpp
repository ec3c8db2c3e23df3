#include "train/recipe/grad_norm.h"

#include <torch/torch.h>

#include <cmath>

namespace focal::train {

namespace {

torch::Tensor total_norm(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> norms;
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().to(torch::kFloat).norm());  // () per tensor
  }
  if (norms.empty()) return torch::zeros({});
  return torch::stack(norms).norm();  // () global
}

}  // namespace

double grad_norm(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  return total_norm(params).item<double>();
}

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  double norm = total_norm(params).item<double>();
  if (max_norm <= 0 || !std::isfinite(norm)) return norm;
  double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    for (const auto& p : params) {
      if (p.grad().defined()) p.grad().mul_(coef);
    }
  }
  return norm;
}

}  // namespace focal::train
