#pragma once
// One stage of Swin (the Swin code base's BasicLayer): its blocks, regular and shifted in turn, then the
// patch merging that halves the map (absent after the last stage; timm puts it at the start of the next).
#include "focal/layers/patch_embed.h"
#include "focal/swin/patch_merging.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <vector>

namespace focal::swin {

struct SwinLayerOptions {
  SwinLayerOptions(int64_t dim, int64_t depth, int64_t num_heads, int64_t resolution)
      : dim_(dim), depth_(depth), num_heads_(num_heads), resolution_(resolution) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, depth);
  TORCH_ARG(int64_t, num_heads);
  TORCH_ARG(int64_t, resolution);
  TORCH_ARG(int64_t, window_size) = 7;
  TORCH_ARG(bool, use_shift) = true;
  TORCH_ARG(double, mlp_ratio) = 4.0;
  TORCH_ARG(bool, qkv_bias) = true;
  TORCH_ARG(std::optional<double>, qk_scale) = std::nullopt;
  TORCH_ARG(double, drop) = 0.0;
  TORCH_ARG(double, attn_drop) = 0.0;
  TORCH_ARG(std::vector<double>, drop_path) = {};  // one rate per block
  TORCH_ARG(bool, downsample) = false;
  TORCH_ARG(bool, use_checkpoint) = false;
};

class SwinLayerImpl : public torch::nn::Module {
 public:
  explicit SwinLayerImpl(SwinLayerOptions options);
  void reset();
  // Returns {after the blocks, after the merging (the same map for the last stage)}.
  std::pair<TokenMap, TokenMap> forward(const TokenMap& x);
  void set_grad_checkpointing(bool enable) { options_.use_checkpoint(enable); }

  torch::nn::ModuleList blocks{nullptr};
  PatchMerging downsample{nullptr};

 private:
  SwinLayerOptions options_;
};
TORCH_MODULE(SwinLayer);

}  // namespace focal::swin
