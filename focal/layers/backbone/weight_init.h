#pragma once
// Weight initialisation shared by the model families.
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

namespace focal {

// timm's trunc_normal_: normal(0, std) truncated to [-2, 2] (absolute bounds, as timm's defaults).
torch::Tensor trunc_normal_(torch::Tensor tensor, double std, double lower = -2.0, double upper = 2.0);

// The _init_weights of the Focal and Swin code bases, applied to every submodule of `root`: Linear weights
// trunc_normal(.02) and zero bias, LayerNorm weight 1 and bias 0; other modules keep their defaults.
void init_linear_and_layer_norm(torch::nn::Module& root);

// A classifier head initialised as those code bases do (trunc_normal(.02) weight, zero bias), on `device`.
torch::nn::Linear make_classifier_head(int64_t in_features, int64_t num_classes, const torch::Device& device);

}  // namespace focal
