#pragma once
// Focal-v2 attention of one block (the original focal_transformer_v2.py WindowAttention): every query window
// attends, at each focal level, the top-K nearest keys of that level (fine tokens at level 0, pooled
// windows above), with an additive bias that a small MLP per level computes from the query-to-key offsets.
// Parameter and buffer names are the original's, including its spelling `topk_cloest_*`.
#include "focal/focal_v2/topk_tables.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace focal::v2 {

struct TopkAttentionOptions {
  TopkAttentionOptions(int64_t dim, int64_t num_heads, int64_t resolution_h, int64_t resolution_w)
      : dim_(dim), num_heads_(num_heads), resolution_h_(resolution_h), resolution_w_(resolution_w) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, num_heads);
  // Map size the registered top-K buffers are built for (other sizes get their own tables on first use).
  TORCH_ARG(int64_t, resolution_h);
  TORCH_ARG(int64_t, resolution_w);
  TORCH_ARG(int64_t, window_size) = 7;  // effective window of the block
  TORCH_ARG(int64_t, focal_level) = 1;  // level 0 (fine tokens) plus focal_level - 1 pooled levels
  TORCH_ARG(int64_t, topk) = 64;
  TORCH_ARG(bool, qkv_bias) = true;
  TORCH_ARG(std::optional<double>, qk_scale) = std::nullopt;
  TORCH_ARG(double, attn_drop) = 0.0;
  TORCH_ARG(double, proj_drop) = 0.0;
};

// The tables of one map size, merged for a single gather: key slots of all levels side by side.
struct TopkGeometry {
  int64_t height = 0, width = 0, windows_h = 0, windows_w = 0;
  int64_t num_tokens = 0;             // rows of the key/value table [fine | level 1 | level 2 ...]
  torch::Tensor key_index;            // (nW * S) int64 rows of that table
  std::vector<torch::Tensor> coords;  // per level (nW, L, K_k, 2) float, input of coord2rpb_all[k]
  std::vector<int64_t> versions;      // versions of the buffers the tables came from (registered size)
};

class TopkAttentionImpl : public torch::nn::Module {
 public:
  explicit TopkAttentionImpl(TopkAttentionOptions options);
  void reset();

  // x: (B, H, W, C) normalised (shifted) map, H and W multiples of the window; pooled[k-1]: (B, Ph, Pw, C)
  // the level-k pooled map. Returns (B, H, W, C).
  torch::Tensor forward(const torch::Tensor& x, const std::vector<torch::Tensor>& pooled);

  int64_t pooled_levels() const { return options_.focal_level() - 1; }
  const TopkAttentionOptions& options() const { return options_; }
  // Keys per level at the registered size (the original's `topks`, used by its flops()).
  const std::vector<int64_t>& topks() const { return topks_; }

  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  torch::nn::ModuleList coord2rpb_all{nullptr};

 private:
  const TopkGeometry& geometry(int64_t height, int64_t width, const torch::Device& device);
  TopkGeometry build_geometry(int64_t height, int64_t width, const torch::Device& device) const;
  std::vector<int64_t> buffer_versions() const;

  TopkAttentionOptions options_;
  double scale_ = 1.0;
  std::vector<int64_t> topks_;
  std::map<std::tuple<int64_t, int64_t, std::string>, TopkGeometry> geometry_cache_;
  std::mutex geometry_mutex_;
};
TORCH_MODULE(TopkAttention);

}  // namespace focal::v2
