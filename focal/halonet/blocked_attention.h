#pragma once
// The attention step of HaloNet: every query of a block attends to its block's key window, with separable
// relative-position logits:
//   logits[p, (ky, kx)] = scale * q_p . k_(ky,kx) + rel_h[p, ky] + rel_w[p, kx]
//   (the position part is multiplied by `scale` too when `scale_rel`), out_p = softmax_k(logits[p]) . v.
#include <torch/types.h>

namespace focal::halonet {

// q: (..., P, dq); k: (..., w, w, dq); v: (..., w, w, dv); rel_h, rel_w: (..., P, w); the leading dims of all
// five agree. Returns (..., P, dv). Inputs may be non-contiguous views (e.g. unfolded windows).
torch::Tensor blocked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& rel_h, const torch::Tensor& rel_w, double scale,
                                bool scale_rel);

}  // namespace focal::halonet
