#pragma once
// Size and cost of a HaloNet.
//
// MAC convention (multiply-accumulates of one image, as timm/fvcore count them):
//   convolutions  k*k * cin/groups * cout * Hout * Wout (stem, 1x1 projections, shortcuts, final conv, SE
//   fcs); attention     per query and head: w^2 * dqk (q.k) + w^2 * dv (attn.v) + the relative logits as
//   computed,
//                 2 (2w-1) dqk (timm layout: q against both full-width tables) or (2w-1) dqk (paper layout),
//                 over every query of the zero-padded map (queries of padding blocks are computed too);
//   linear        in * out.
// Not counted: batch norm, activations, softmax, pooling, residual additions, SE gating.
#include "focal/halonet/halonet_options.h"

#include <torch/nn/module.h>

#include <cstdint>
#include <optional>

namespace focal::halonet {

// Sum of numel over the module's parameters (all of them, trainable or not).
int64_t count_parameters(const torch::nn::Module& module);

// MACs of one forward pass at img_size x img_size (options.img_size() when unset).
int64_t halonet_macs(const HaloNetOptions& options, std::optional<int64_t> img_size = std::nullopt);

}  // namespace focal::halonet
