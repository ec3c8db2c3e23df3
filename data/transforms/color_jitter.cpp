#include "data/transforms/color_jitter.h"

#include "data/transforms/image_ops.h"

#include <algorithm>
#include <utility>

namespace focal::data {

ColorJitterParams sample_color_jitter(Rng& rng, const ColorJitterOptions& o) {
  ColorJitterParams p;
  for (int i = 2; i > 0; --i) std::swap(p.order[i], p.order[rng.randint(0, i)]);
  const double strength[3] = {o.brightness(), o.contrast(), o.saturation()};
  for (int i = 0; i < 3; ++i) {
    if (strength[i] > 0) p.factor[i] = rng.uniform(std::max(0.0, 1.0 - strength[i]), 1.0 + strength[i]);
  }
  return p;
}

void apply_color_jitter(Image& img, const ColorJitterParams& p) {
  for (int which : p.order) {
    const double f = p.factor[which];
    if (f == 1.0) continue;
    if (which == 0) adjust_brightness(img, f);
    if (which == 1) adjust_contrast(img, f);
    if (which == 2) adjust_color(img, f);
  }
}

}  // namespace focal::data
