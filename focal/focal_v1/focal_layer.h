#pragma once
// One stage of the Focal Transformer (the original BasicLayer): its blocks, then the downsampling patch
// embedding that halves the map and doubles the channels (absent after the last stage).
#include "focal/focal_v1/focal_block.h"
#include "focal/layers/patch_embed.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace focal {

struct FocalLayerOptions {
  FocalLayerOptions(int64_t dim, int64_t depth, int64_t num_heads, int64_t resolution_h, int64_t resolution_w)
      : dim_(dim),
        depth_(depth),
        num_heads_(num_heads),
        resolution_h_(resolution_h),
        resolution_w_(resolution_w) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, depth);
  TORCH_ARG(int64_t, num_heads);
  TORCH_ARG(int64_t, resolution_h);
  TORCH_ARG(int64_t, resolution_w);
  TORCH_ARG(int64_t, window_size) = 7;
  TORCH_ARG(int64_t, expand_size) = 0;
  TORCH_ARG(std::string, expand_layer) = "all";
  TORCH_ARG(double, mlp_ratio) = 4.0;
  TORCH_ARG(bool, qkv_bias) = true;
  TORCH_ARG(std::optional<double>, qk_scale) = std::nullopt;
  TORCH_ARG(double, drop) = 0.0;
  TORCH_ARG(double, attn_drop) = 0.0;
  TORCH_ARG(std::vector<double>, drop_path) = {};  // one rate per block
  TORCH_ARG(std::string, pool_method) = "none";
  TORCH_ARG(int64_t, focal_level) = 1;
  TORCH_ARG(int64_t, focal_window) = 1;
  TORCH_ARG(bool, use_conv_embed) = false;
  TORCH_ARG(bool, use_shift) = false;
  TORCH_ARG(bool, use_pre_norm) = false;
  TORCH_ARG(bool, downsample) = false;
  TORCH_ARG(bool, use_checkpoint) = false;
  TORCH_ARG(bool, use_layerscale) = false;
  TORCH_ARG(double, layerscale_value) = 1e-4;
  TORCH_ARG(int64_t, topk) = 0;  // > 0: Focal-v2 blocks (top-K attention)
};

struct StageOutput {
  TokenMap blocks;       // after the blocks, before downsampling: (B, H*W, C)
  TokenMap downsampled;  // after downsampling (equal to `blocks` for the last stage)
};

class FocalLayerImpl : public torch::nn::Module {
 public:
  explicit FocalLayerImpl(FocalLayerOptions options);
  void reset();
  StageOutput forward(const TokenMap& x);
  void set_grad_checkpointing(bool enable) { options_.use_checkpoint(enable); }
  const FocalLayerOptions& options() const { return options_; }

  torch::nn::ModuleList blocks{nullptr};
  PatchEmbed downsample{nullptr};

 private:
  FocalLayerOptions options_;
};
TORCH_MODULE(FocalLayer);

}  // namespace focal
