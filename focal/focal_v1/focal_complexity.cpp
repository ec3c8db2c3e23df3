#include "focal/focal_v1/focal_complexity.h"

#include "focal/focal_v1/focal_geometry.h"
#include "focal/focal_v2/topk_complexity.h"

#include <algorithm>
#include <cmath>

namespace focal {
namespace {

// What a block becomes for its construction-time map size (the original's reduction for small maps).
struct BlockShape {
  int64_t window = 0, expand = 0;
};

BlockShape block_shape(int64_t resolution, int64_t window, int64_t expand) {
  if (resolution <= window) return {resolution, 0};
  return {window, expand};
}

int64_t stage_expand(const FocalTransformerOptions& o, int64_t stage, int64_t block) {
  const auto& layer = o.expand_layer();
  const int64_t unexpanded_parity = layer == "even" ? 0 : (layer == "odd" ? 1 : -1);
  return block % 2 == unexpanded_parity ? 0 : o.expand_sizes()[stage];
}

bool is_focal_stage(const FocalTransformerOptions& o, int64_t stage) {
  return std::find(o.focal_stages().begin(), o.focal_stages().end(), stage) != o.focal_stages().end();
}

// WindowAttention.flops(N, window_size, unfold_size) of the original.
int64_t attention_macs(int64_t dim, int64_t heads, int64_t window, int64_t expand, int64_t unfold,
                       bool pooled, int64_t level) {
  const int64_t n = window * window, hd = dim / heads;
  const int64_t ring = (window + 2 * expand) * (window + 2 * expand) - window * window;
  int64_t macs = n * dim * 3 * dim;
  for (int pass = 0; pass < 2; ++pass) {  // q @ k^T, then attn @ v
    macs += heads * n * hd * n;
    if (pooled && level > 1) macs += heads * n * hd * (unfold * unfold);
    if (expand > 0 && level > 0) macs += heads * n * hd * ring;
  }
  return macs + n * dim * dim;
}

}  // namespace

double focal_macs_exact(const FocalTransformerOptions& o) {
  const int64_t stages = static_cast<int64_t>(o.depths().size());
  const int64_t resolution = o.img_size() / o.patch_size();
  double macs = 0;
  // PatchEmbed.flops(): output positions x channels x kernel area (7x7 stem, 3x3 downsampling with
  // use_conv_embed, the patch otherwise).
  const int64_t stem_kernel = o.use_conv_embed() ? 7 : o.patch_size();
  const int64_t down_kernel = o.use_conv_embed() ? 3 : 2;
  macs +=
      static_cast<double>(resolution * resolution * o.embed_dim() * o.in_chans() * stem_kernel * stem_kernel);
  if (o.patch_norm()) macs += static_cast<double>(resolution * resolution * o.embed_dim());
  for (int64_t i = 0; i < stages; ++i) {
    const int64_t dim = o.embed_dim() << i, h = resolution >> i, w = h;
    const bool pooled = is_focal_stage(o, i) && o.focal_pool() != "none";
    const int64_t level = o.focal_levels()[i];
    double layer = 0;  // BasicLayer.flops(): its blocks, then its downsampling
    for (int64_t b = 0; b < o.depths()[i]; ++b) {
      const BlockShape shape = block_shape(std::min(h, w), o.window_size(), stage_expand(o, i, b));
      double block = static_cast<double>(dim * h * w);
      const double windows = static_cast<double>(h * w) / shape.window / shape.window;
      const int64_t attn =
          o.is_v2() ? v2::topk_attention_macs(dim, o.num_heads()[i], shape.window,
                                              v2::block_topks(h, shape.window, level, o.focal_topK()))
                    : attention_macs(dim, o.num_heads()[i], shape.window, shape.expand, o.focal_windows()[i],
                                     pooled, level);
      block += windows * static_cast<double>(attn);
      if (pooled && level > 1) {
        for (int64_t k = 0; k + 1 < level; ++k) {
          const int64_t sub = shape.window >> k;
          const double pooled_windows = windows * static_cast<double>(int64_t{1} << k);
          // Python evaluates these products left to right in floating point; so does this.
          block +=
              pooled_windows * static_cast<double>(dim) * static_cast<double>(sub) * static_cast<double>(sub);
          block += pooled_windows * static_cast<double>(dim) * 3.0 * static_cast<double>(dim);
        }
      }
      block += static_cast<double>(2 * h * w * dim * dim) * o.mlp_ratio();
      block += static_cast<double>(dim * h * w);
      layer += block;
    }
    if (i + 1 < stages) {  // downsampling PatchEmbed(patch 2, dim -> 2 dim, with norm)
      const int64_t ho = h / 2, wo = w / 2;
      layer += static_cast<double>(ho * wo * 2 * dim * dim * down_kernel * down_kernel + ho * wo * 2 * dim);
    }
    macs += layer;
  }
  const int64_t features = o.embed_dim() << (stages - 1);
  macs += static_cast<double>(features * resolution * resolution / (int64_t{1} << stages));
  macs += static_cast<double>(features * o.num_classes());
  return macs;
}

int64_t focal_parameter_count(const FocalTransformerOptions& o) {
  const int64_t stages = static_cast<int64_t>(o.depths().size());
  const int64_t resolution = o.img_size() / o.patch_size();
  auto conv = [](int64_t cin, int64_t cout, int64_t k) { return cin * cout * k * k + cout; };
  auto layer_norm = [](int64_t c) { return 2 * c; };
  auto linear = [](int64_t in, int64_t out, bool bias) { return in * out + (bias ? out : 0); };
  auto embed = [&](int64_t cin, int64_t cout, bool stem) {
    const int64_t k = o.use_conv_embed() ? (stem ? 7 : 3) : (stem ? o.patch_size() : 2);
    const bool norm = stem ? o.patch_norm() : true;
    return conv(cin, cout, k) + (norm ? layer_norm(cout) : 0) + (o.use_pre_norm() && !stem ? 2 * cin : 0);
  };
  int64_t params = embed(o.in_chans(), o.embed_dim(), true);
  if (o.ape()) params += resolution * resolution * o.embed_dim();
  for (int64_t i = 0; i < stages; ++i) {
    const int64_t dim = o.embed_dim() << i, heads = o.num_heads()[i], h = resolution >> i;
    const bool pooled = is_focal_stage(o, i) && o.focal_pool() != "none";
    const int64_t level = o.focal_levels()[i], fw = o.focal_windows()[i];
    for (int64_t b = 0; b < o.depths()[i]; ++b) {
      const BlockShape shape = block_shape(h, o.window_size(), stage_expand(o, i, b));
      const int64_t ws = shape.window;
      int64_t block = 2 * layer_norm(dim) + linear(dim, 3 * dim, o.qkv_bias()) + linear(dim, dim, true);
      block += linear(dim, static_cast<int64_t>(dim * o.mlp_ratio()), true) +
               linear(static_cast<int64_t>(dim * o.mlp_ratio()), dim, true);
      if (o.is_v2()) {
        block += v2::coord_mlp_params(dim, heads, level);
      } else {
        block += (2 * ws - 1) * (2 * ws - 1) * heads;
        if (shape.expand > 0 && level > 0) block += heads * ws * ws * rolled_key_count(ws, shape.expand);
      }
      if (pooled && level > 1) {
        for (int64_t k = 0; k + 1 < level; ++k) {
          const int64_t side = to_windows_table_side(ws, fw, k), sub = ws >> k;
          if (!o.is_v2()) block += heads * side * side;
          if (o.focal_pool() == "fc") block += linear(sub * sub, 1, true);
          if (o.focal_pool() == "conv") block += dim * sub * sub + dim;
        }
      }
      if (o.use_layerscale()) block += 2 * dim;
      params += block;
    }
    if (i + 1 < stages) params += embed(dim, 2 * dim, false);
  }
  const int64_t features = o.embed_dim() << (stages - 1);
  params += layer_norm(features);
  if (o.num_classes() > 0) params += linear(features, o.num_classes(), true);
  return params;
}

ModelComplexity focal_complexity(const FocalTransformerOptions& o) {
  return {focal_parameter_count(o), static_cast<int64_t>(std::llround(focal_macs_exact(o)))};
}

}  // namespace focal
