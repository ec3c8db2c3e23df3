#pragma once
// Global gradient norm and clipping, as torch.nn.utils.clip_grad_norm_ (the original clips at
// TRAIN.CLIP_GRAD = 5.0 and reports the norm before clipping).
#include <torch/types.h>

#include <vector>

namespace focal::train {

// The L2 norm of all gradients of `params` together (those without a gradient are skipped).
double grad_norm(const std::vector<torch::Tensor>& params);
// Scales the gradients by max_norm / (norm + 1e-6) when that is below 1; returns the norm before clipping.
// max_norm <= 0 means no clipping. A non-finite norm leaves the gradients untouched.
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace focal::train
