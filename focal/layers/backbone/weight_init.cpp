#include "focal/layers/backbone/weight_init.h"

#include <torch/torch.h>

#include <cmath>

namespace focal {

torch::Tensor trunc_normal_(torch::Tensor tensor, double std, double lower, double upper) {
  // Inverse-CDF sampling of the truncated normal, the method timm uses.
  torch::NoGradGuard no_grad;
  auto normal_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
  const double l = normal_cdf(lower / std), u = normal_cdf(upper / std);
  tensor.uniform_(2 * l - 1, 2 * u - 1);
  tensor.erfinv_();
  tensor.mul_(std * std::sqrt(2.0));
  tensor.clamp_(lower, upper);
  return tensor;
}

void init_linear_and_layer_norm(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& module : root.modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::LinearImpl>()) {
      trunc_normal_(linear->weight, 0.02);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* layer_norm = module->as<torch::nn::LayerNormImpl>()) {
      layer_norm->weight.fill_(1.0);
      layer_norm->bias.zero_();
    }
  }
}

torch::nn::Linear make_classifier_head(int64_t in_features, int64_t num_classes,
                                       const torch::Device& device) {
  auto head = torch::nn::Linear(in_features, num_classes);
  {
    torch::NoGradGuard no_grad;
    trunc_normal_(head->weight, 0.02);
    head->bias.zero_();
  }
  head->to(device);
  return head;
}

}  // namespace focal
