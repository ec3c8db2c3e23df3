#pragma once
// Activation checkpointing: runs `fn` without keeping its intermediate activations and recomputes them in
// the backward pass (with the random generator state of the forward pass, so stochastic depth and dropout
// draw the same masks). Gradients of parameters used inside `fn` accumulate as usual.
#include <torch/types.h>

#include <functional>

namespace focal {

using TensorFunction = std::function<torch::Tensor(const torch::Tensor&)>;

torch::Tensor checkpointed(const TensorFunction& fn, const torch::Tensor& x);

}  // namespace focal
