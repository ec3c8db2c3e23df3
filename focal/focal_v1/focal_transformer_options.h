#pragma once
// Constructor arguments of the Focal Transformer, with the original implementation's names and defaults
// (classification/focal_transformer.py, class FocalTransformer). A YAML config or the constructor-argument
// JSON of the fixtures maps onto this one struct.
#include "focal/layers/backbone/hierarchical_options.h"

#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

namespace focal {

struct FocalTransformerOptions : HierarchicalOptions<FocalTransformerOptions> {
  // The shared fields (img_size ... use_checkpoint) are HierarchicalOptions'; the Focal ones follow.
  TORCH_ARG(bool, use_shift) = false;
  TORCH_ARG(std::vector<int64_t>, focal_stages) = std::vector<int64_t>{0, 1, 2, 3};
  TORCH_ARG(std::vector<int64_t>, focal_levels) = std::vector<int64_t>{1, 1, 1, 1};
  TORCH_ARG(std::vector<int64_t>, focal_windows) = std::vector<int64_t>{7, 5, 3, 1};
  // "fc" | "conv" | "mean" | "max" | "none"
  TORCH_ARG(std::string, focal_pool) = "fc";
  // Accepted for compatibility; as in the original v1 model it does not change the network
  // (expand_sizes alone decides the expansion of each stage).
  TORCH_ARG(std::vector<int64_t>, expand_stages) = std::vector<int64_t>{0, 1, 2, 3};
  TORCH_ARG(std::vector<int64_t>, expand_sizes) = std::vector<int64_t>{3, 3, 3, 3};
  // "all" | "even" | "odd": which blocks of a stage expand their window.
  TORCH_ARG(std::string, expand_layer) = "all";
  TORCH_ARG(bool, use_conv_embed) = false;
  TORCH_ARG(bool, use_layerscale) = false;
  TORCH_ARG(double, layerscale_value) = 1e-4;
  TORCH_ARG(bool, use_pre_norm) = false;
  // "focal" (v1) or "focalv2" (focal_transformer_v2.py: top-K attention with coordinate-to-bias MLPs, same
  // network around it); the fixtures' JSON calls it model_type, the YAML MODEL.TYPE.
  TORCH_ARG(std::string, model_type) = "focal";
  // Focal-v2: keys per level (the original's focal_topK, MODEL.FOCAL.FOCAL_TOPK; its constructor default 64).
  TORCH_ARG(int64_t, focal_topK) = 64;

 public:
  bool is_v2() const { return model_type_ == "focalv2"; }
};

}  // namespace focal
