#pragma once
// The stem-to-stages plumbing the hierarchical transformers share (Focal v1/v2, Swin): the absolute position
// embedding and dropout after the patch embedding, and the per-stage outputs a backbone returns.
#include "focal/layers/backbone/classifier.h"
#include "focal/layers/blocks/patch_embed.h"

#include <torch/types.h>

namespace focal {

// Adds `absolute_pos_embed` (1, L0, C0) when it is defined (checking the token count), then dropout.
void embed_positions(TokenMap& x, const torch::Tensor& absolute_pos_embed, double drop_rate, bool training);

// Records one stage: its output as the family returns it (tokens after downsampling) and, as a map
// (B, C_i, H_i, W_i), the tokens after its blocks.
void record_stage(ClassifierFeatures& features, const TokenMap& blocks, const TokenMap& downsampled);

}  // namespace focal
