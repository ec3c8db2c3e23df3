#include "focal/swin/swin_complexity.h"

#include <cmath>

namespace focal::swin {
namespace {

// The window a block uses on a resolution x resolution map (the whole map when it is not larger).
int64_t block_window(int64_t resolution, int64_t window) {
  return resolution <= window ? resolution : window;
}

}  // namespace

double swin_macs_exact(const SwinTransformerOptions& o) {
  const int64_t stages = static_cast<int64_t>(o.depths().size()), res = o.img_size() / o.patch_size();
  double macs =
      static_cast<double>(res * res * o.embed_dim() * o.in_chans() * o.patch_size() * o.patch_size());
  if (o.patch_norm()) macs += static_cast<double>(res * res * o.embed_dim());
  for (int64_t i = 0; i < stages; ++i) {
    const int64_t dim = o.embed_dim() << i, h = res >> i, heads = o.num_heads()[i], hd = dim / heads;
    const int64_t ws = block_window(h, o.window_size()), n = ws * ws;
    double layer = 0;
    for (int64_t b = 0; b < o.depths()[i]; ++b) {
      double block = static_cast<double>(dim * h * h);
      const double windows = static_cast<double>(h * h) / ws / ws;
      const int64_t attn = n * dim * 3 * dim + heads * n * hd * n + heads * n * n * hd + n * dim * dim;
      block += windows * static_cast<double>(attn);
      block += static_cast<double>(2 * h * h * dim * dim) * o.mlp_ratio();
      block += static_cast<double>(dim * h * h);
      layer += block;
    }
    if (i + 1 < stages) layer += static_cast<double>(h * h * dim + (h / 2) * (h / 2) * 4 * dim * 2 * dim);
    macs += layer;
  }
  const int64_t features = o.embed_dim() << (stages - 1);
  macs += static_cast<double>(features * res * res / (int64_t{1} << stages));
  macs += static_cast<double>(features * o.num_classes());
  return macs;
}

int64_t swin_parameter_count(const SwinTransformerOptions& o) {
  const int64_t stages = static_cast<int64_t>(o.depths().size()), res = o.img_size() / o.patch_size();
  auto linear = [](int64_t in, int64_t out, bool bias) { return in * out + (bias ? out : 0); };
  int64_t params = o.in_chans() * o.embed_dim() * o.patch_size() * o.patch_size() + o.embed_dim();
  if (o.patch_norm()) params += 2 * o.embed_dim();
  if (o.ape()) params += res * res * o.embed_dim();
  for (int64_t i = 0; i < stages; ++i) {
    const int64_t dim = o.embed_dim() << i, heads = o.num_heads()[i];
    const int64_t ws = block_window(res >> i, o.window_size()),
                  hidden = static_cast<int64_t>(dim * o.mlp_ratio());
    const int64_t block = 4 * dim + linear(dim, 3 * dim, o.qkv_bias()) + linear(dim, dim, true) +
                          linear(dim, hidden, true) + linear(hidden, dim, true) +
                          (2 * ws - 1) * (2 * ws - 1) * heads;
    params += o.depths()[i] * block;
    if (i + 1 < stages) params += 2 * 4 * dim + linear(4 * dim, 2 * dim, false);
  }
  const int64_t features = o.embed_dim() << (stages - 1);
  params += 2 * features;
  if (o.num_classes() > 0) params += linear(features, o.num_classes(), true);
  return params;
}

ModelComplexity swin_complexity(const SwinTransformerOptions& o) {
  return {swin_parameter_count(o), static_cast<int64_t>(std::llround(swin_macs_exact(o)))};
}

}  // namespace focal::swin
