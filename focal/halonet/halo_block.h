#pragma once
// HaloNet bottleneck block (timm's SelfAttnBlock without the optional kxk conv):
//   1x1 conv in -> width + BN + act; halo attention width -> value width (strided for downsampling);
//   BN + act (`post_attn`); optional squeeze-excitation; 1x1 conv value width -> out + BN (gamma zero-init);
//   shortcut (1x1 conv + BN when in != out or strided, identity otherwise); add; act.
#include "focal/halonet/activation.h"
#include "focal/halonet/conv_norm_act.h"
#include "focal/halonet/halo_attention.h"
#include "focal/halonet/squeeze_excite.h"

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/pimpl.h>

namespace focal::halonet {

struct HaloBlockOptions {
  HaloBlockOptions(int64_t in_channels, int64_t width, int64_t value_width, int64_t out_channels)
      : in_channels_(in_channels), width_(width), value_width_(value_width), out_channels_(out_channels) {}
  TORCH_ARG(int64_t, in_channels);
  // Bottleneck width = query/key width of the attention.
  TORCH_ARG(int64_t, width);
  TORCH_ARG(int64_t, value_width);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, num_heads) = 8;
  TORCH_ARG(int64_t, block_size) = 8;
  TORCH_ARG(int64_t, halo_size) = 3;
  TORCH_ARG(Activation, act) = Activation::kReLU;
  TORCH_ARG(bool, use_se) = false;
  TORCH_ARG(double, se_ratio) = 1.0 / 16.0;
  TORCH_ARG(bool, qkv_bias) = false;
  TORCH_ARG(bool, avg_down) = false;
  TORCH_ARG(bool, scale_pos_embed) = false;
  TORCH_ARG(RelPosLayout, rel_pos_layout) = RelPosLayout::kTimm;
  TORCH_ARG(double, drop_path) = 0.0;
};

class HaloBlockImpl : public torch::nn::Cloneable<HaloBlockImpl> {
 public:
  explicit HaloBlockImpl(HaloBlockOptions options);
  void reset() override;
  // (B, in, H, W) -> (B, out, ceil(H / stride), ceil(W / stride))
  torch::Tensor forward(torch::Tensor x);
  bool has_shortcut_conv() const { return !shortcut.is_empty(); }

  HaloBlockOptions options;
  ConvNormAct shortcut{nullptr};  // registered only when the shape changes
  ConvNormAct conv1_1x1{nullptr};
  HaloAttention self_attn{nullptr};
  torch::nn::BatchNorm2d post_attn{nullptr};
  SqueezeExcite se{nullptr};  // registered only with use_se
  ConvNormAct conv3_1x1{nullptr};
};
TORCH_MODULE(HaloBlock);

}  // namespace focal::halonet
