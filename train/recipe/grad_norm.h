#pragma once
// Global gradient norm and clipping, as torch.nn.utils.clip_grad_norm_ (the original clips at
// TRAIN.CLIP_GRAD = 5.0 and reports the norm before clipping). The *_tensor forms are multi-tensor
// operations that stay on the device (no host synchronisation); the double forms read the norm back.
#include <torch/types.h>

#include <vector>

namespace focal::train {

// The L2 norm of all gradients of `params` together (those without a gradient are skipped), as a float32
// scalar tensor on the gradients' device (a CPU zero when none has a gradient).
torch::Tensor grad_norm_tensor(const std::vector<torch::Tensor>& params);
// Scales the gradients by max_norm / (norm + 1e-6) when that is below 1, on the device; returns the norm
// before clipping. max_norm <= 0 means no clipping. A non-finite norm leaves the gradients untouched.
torch::Tensor clip_grad_norm_tensor(const std::vector<torch::Tensor>& params, double max_norm);

double grad_norm(const std::vector<torch::Tensor>& params);
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace focal::train
