#pragma once
// The attention step of HaloNet: every query of a block attends to its block's key window, with separable
// relative-position logits:
//   logits[p, (ky, kx)] = q_p . k_(ky,kx) + rel[p, ky] + rel[p, w + kx],   out_p = softmax_k(logits[p]) . v
// (the caller folds any scale into q and rel).
#include <torch/types.h>

namespace focal::halonet {

// q: (..., P, dq); k: (..., w, w, dq); v: (..., w, w, dv); rel: (..., P, 2w); the leading dims of all four
// agree. Returns (..., P, dv), possibly a strided view. k and v may be non-contiguous views (e.g. windows).
torch::Tensor blocked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& rel);

}  // namespace focal::halonet
