#include "focal/focal_v2/topk_complexity.h"

#include "focal/focal_v2/topk_tables.h"

namespace focal::v2 {

std::vector<int64_t> block_topks(int64_t resolution, int64_t window, int64_t focal_level, int64_t topk) {
  std::vector<int64_t> topks;
  for (int64_t k = 0; k < focal_level; ++k)
    topks.push_back(topk_level_keys(k, resolution, resolution, window, topk));
  return topks;
}

int64_t topk_attention_macs(int64_t dim, int64_t heads, int64_t window, const std::vector<int64_t>& topks) {
  const int64_t n = window * window, hd = dim / heads;
  int64_t macs = n * dim * 3 * dim;
  for (size_t k = 0; k < topks.size(); ++k) {
    macs += heads * n * hd * topks[k];  // q @ k^T
    // The bias MLP: per query at level 0, per pooled sub-window above (the original's Nq).
    const int64_t sub = k == 0 ? 1 : window >> (k - 1);
    const int64_t queries = k == 0 ? n : n / (sub * sub);
    macs += queries * topks[k] * (2 * hd + hd * heads);
  }
  for (int64_t keys : topks) macs += heads * n * hd * keys;  // attn @ v
  return macs + n * dim * dim;
}

int64_t coord_mlp_params(int64_t dim, int64_t heads, int64_t focal_level) {
  const int64_t hd = dim / heads;
  return focal_level * ((2 * hd + hd) + (hd * heads + heads));
}

}  // namespace focal::v2
