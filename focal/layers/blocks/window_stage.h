#pragma once
// What the stages of the windowed transformers share (the originals' BasicLayer of Focal v1/v2 and Swin):
// `blocks`, regular and shifted in turn, run one after another (each under activation checkpointing when
// asked), then the family's `downsample` (absent after the last stage).
#include "focal/layers/backbone/shared_arg.h"
#include "focal/layers/blocks/patch_embed.h"
#include "focal/layers/blocks/window_block.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace focal {

// The stage options every family has; `Self` is the family's options struct.
template <typename Self>
struct WindowStageOptions {
  WindowStageOptions(int64_t dim, int64_t depth, int64_t num_heads, int64_t resolution_h,
                     int64_t resolution_w)
      : dim_(dim),
        depth_(depth),
        num_heads_(num_heads),
        resolution_h_(resolution_h),
        resolution_w_(resolution_w) {}
  FOCAL_SHARED_ARG(int64_t, dim);
  FOCAL_SHARED_ARG(int64_t, depth);
  FOCAL_SHARED_ARG(int64_t, num_heads);
  FOCAL_SHARED_ARG(int64_t, resolution_h);
  FOCAL_SHARED_ARG(int64_t, resolution_w);
  FOCAL_SHARED_ARG(int64_t, window_size) = 7;
  FOCAL_SHARED_ARG(bool, use_shift) = false;  // odd blocks shift by window_size / 2
  FOCAL_SHARED_ARG(double, mlp_ratio) = 4.0;
  FOCAL_SHARED_ARG(bool, qkv_bias) = true;
  FOCAL_SHARED_ARG(std::optional<double>, qk_scale) = std::nullopt;
  FOCAL_SHARED_ARG(double, drop) = 0.0;
  FOCAL_SHARED_ARG(double, attn_drop) = 0.0;
  FOCAL_SHARED_ARG(std::vector<double>, drop_path) = {};  // one rate per block
  FOCAL_SHARED_ARG(bool, downsample) = false;
  FOCAL_SHARED_ARG(bool, use_checkpoint) = false;

 public:
  // The shared options of block `index`: the stage's window and rates, shifted when odd and use_shift.
  template <typename BlockOptions>
  BlockOptions block_options(int64_t index) const {
    return BlockOptions(dim_, num_heads_, resolution_h_, resolution_w_)
        .window_size(window_size_)
        .shift_size(use_shift_ && index % 2 == 1 ? window_size_ / 2 : 0)
        .mlp_ratio(mlp_ratio_)
        .qkv_bias(qkv_bias_)
        .qk_scale(qk_scale_)
        .drop(drop_)
        .attn_drop(attn_drop_)
        .drop_path(drop_path_.empty() ? 0.0 : drop_path_[index]);
  }
};

struct StageOutput {
  TokenMap blocks;       // after the blocks, before downsampling: (B, H*W, C)
  TokenMap downsampled;  // after downsampling (equal to `blocks` for the last stage)
};

class WindowStageImpl : public torch::nn::Module {
 public:
  virtual StageOutput forward(const TokenMap& x) = 0;
  virtual void set_grad_checkpointing(bool enable) = 0;

  torch::nn::ModuleList blocks{nullptr};

 protected:
  // Registers `blocks`: make_block(i, the shared options of block i) for each of the stage's blocks.
  template <typename BlockOptions, typename O, typename MakeBlock>
  void build_blocks(const WindowStageOptions<O>& o, MakeBlock make_block) {
    check_drop_path(o.depth(), static_cast<int64_t>(o.drop_path().size()));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < o.depth(); ++i)
      blocks->push_back(make_block(i, o.template block_options<BlockOptions>(i)));
  }
  // x: (B, H*W, C) through the blocks in turn -> (B, H*W, C); each block checkpointed when `checkpoint` and
  // training.
  TokenMap run_blocks(const TokenMap& x, bool checkpoint);

 private:
  static void check_drop_path(int64_t depth, int64_t rates);
};

}  // namespace focal
