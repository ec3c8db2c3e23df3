#pragma once
// Constructor arguments of a HaloNet (Vaswani et al., CVPR 2021). Stage s has `widths[s]` bottleneck
// (= query/key) channels, value_ratio * widths[s] value channels (r_v) and bottleneck_ratio * widths[s]
// output channels (r_b); the registered H0-H7 configurations are in halonet_zoo.h.
#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

namespace focal::halonet {

struct HaloNetOptions {
  TORCH_ARG(int64_t, img_size) = 256;
  TORCH_ARG(int64_t, in_chans) = 3;
  TORCH_ARG(int64_t, num_classes) = 1000;
  TORCH_ARG(int64_t, stem_channels) = 64;
  TORCH_ARG(std::vector<int64_t>, widths) = std::vector<int64_t>{64, 128, 256, 512};
  TORCH_ARG(std::vector<int64_t>, depths) = std::vector<int64_t>{3, 3, 10, 3};
  // First block of each stage; the stem already reduces by 4.
  TORCH_ARG(std::vector<int64_t>, strides) = std::vector<int64_t>{1, 2, 2, 2};
  TORCH_ARG(double, value_ratio) = 1.0;       // r_v
  TORCH_ARG(double, bottleneck_ratio) = 1.0;  // r_b
  TORCH_ARG(int64_t, block_size) = 8;         // b
  TORCH_ARG(int64_t, halo_size) = 3;          // h
  TORCH_ARG(int64_t, num_heads) = 8;
  // d_f: width of the 1x1 conv (+BN+act) before pooling; 0 = none.
  TORCH_ARG(int64_t, num_features) = 0;
  TORCH_ARG(std::string, act_layer) = "relu";  // relu | silu
  TORCH_ARG(bool, use_se) = false;
  TORCH_ARG(double, se_ratio) = 1.0 / 16.0;
  TORCH_ARG(bool, qkv_bias) = false;
  TORCH_ARG(bool, avg_down) = false;
  TORCH_ARG(bool, scale_pos_embed) = false;
  TORCH_ARG(std::string, rel_pos_layout) = "timm";  // timm | paper
  TORCH_ARG(double, drop_rate) = 0.0;               // dropout before the classifier
  TORCH_ARG(double, drop_path_rate) = 0.0;          // stochastic depth, linear over all blocks
  // Zero gamma of each block's last BN, so that blocks start as identities (timm's default).
  TORCH_ARG(bool, zero_init_last) = true;
};

}  // namespace focal::halonet
