#include "focal/halonet/activation.h"

#include <torch/torch.h>

#include <stdexcept>

namespace focal::halonet {

Activation parse_activation(const std::string& name) {
  if (name == "relu") return Activation::kReLU;
  if (name == "silu" || name == "swish") return Activation::kSiLU;
  throw std::invalid_argument("HaloNet: unknown activation '" + name + "' (expected relu or silu)");
}

std::string activation_name(Activation act) { return act == Activation::kReLU ? "relu" : "silu"; }

torch::Tensor apply_activation(torch::Tensor x, Activation act) {
  if (act == Activation::kReLU) return torch::relu_(x);
  return torch::silu(x);
}

}  // namespace focal::halonet
