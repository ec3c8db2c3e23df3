#include "focal/halonet/halonet_complexity.h"

#include "focal/halonet/halonet.h"
#include "focal/halonet/squeeze_excite.h"

#include <torch/torch.h>

namespace focal::halonet {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct MapSize {
  int64_t h, w;
  int64_t area() const { return h * w; }
  MapSize strided(int64_t s) const { return {ceil_div(h, s), ceil_div(w, s)}; }
};

// One halo attention layer (projections included) on an input map of size `in`.
int64_t attention_macs(const HaloNetOptions& o, const BlockPlan& p, MapSize in) {
  const int64_t b = o.block_size(), win = b + 2 * o.halo_size(), heads = o.num_heads();
  const int64_t dq = p.width / heads;
  const bool strided_queries = p.stride > 1 && !o.avg_down() && b % p.stride == 0;
  const int64_t qs = strided_queries ? p.stride : 1;
  const MapSize padded{ceil_div(in.h, b) * b, ceil_div(in.w, b) * b};
  const int64_t queries = padded.strided(qs).area();  // all heads share positions
  const int64_t rel_tables = o.rel_pos_layout() == "paper" ? 1 : 2;
  int64_t macs = p.width * p.width * in.strided(qs).area();   // q projection (strided conv)
  macs += p.width * (p.width + p.value_width) * in.area();    // kv projection
  macs += queries * win * win * (p.width + p.value_width);    // q.k and attn.v, summed over heads
  macs += queries * heads * rel_tables * (2 * win - 1) * dq;  // relative logits
  return macs;
}

}  // namespace

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters(/*recurse=*/true)) total += p.numel();
  return total;
}

int64_t halonet_macs(const HaloNetOptions& o, std::optional<int64_t> img_size) {
  const int64_t size = img_size.value_or(o.img_size());
  MapSize map = MapSize{size, size}.strided(2);  // stem conv output
  int64_t macs = 7 * 7 * o.in_chans() * o.stem_channels() * map.area();
  map = map.strided(2);  // max pool
  for (const auto& stage : plan_blocks(o)) {
    for (const auto& p : stage) {
      const MapSize out = map.strided(p.stride);
      macs += p.in_channels * p.width * map.area();  // conv1_1x1
      macs += attention_macs(o, p, map);
      if (o.use_se()) {
        macs += 2 * p.value_width * se_reduced_channels(p.value_width, o.se_ratio());
      }
      macs += p.value_width * p.out_channels * out.area();  // conv3_1x1
      if (p.in_channels != p.out_channels || p.stride != 1) {
        macs += p.in_channels * p.out_channels * out.area();  // shortcut
      }
      map = out;
    }
  }
  int64_t features = plan_blocks(o).back().back().out_channels;
  if (o.num_features() > 0) {
    macs += features * o.num_features() * map.area();
    features = o.num_features();
  }
  return macs + features * o.num_classes();
}

}  // namespace focal::halonet
