#pragma once
// The nonlinearity of a HaloNet, chosen by name as in the configuration (MODEL.HALONET.ACT_LAYER).
#include <torch/types.h>

#include <string>

namespace focal::halonet {

enum class Activation { kReLU, kSiLU };

// "relu" | "silu" (alias "swish"); anything else throws std::invalid_argument naming the value.
Activation parse_activation(const std::string& name);
std::string activation_name(Activation act);

// Applies `act`; in place where the backward pass allows it (ReLU saves its output, SiLU its input).
torch::Tensor apply_activation(torch::Tensor x, Activation act);

}  // namespace focal::halonet
