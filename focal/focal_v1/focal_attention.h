#pragma once
// Focal self-attention of one block: every query window attends its own tokens, its fine-grained
// surroundings (expand_size, cyclic at the border) and, per focal level, a neighbourhood of pooled
// sub-windows. Parameter and buffer names are the original WindowAttention's.
#include "focal/focal_v1/focal_geometry.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/parameterlist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace focal {

struct FocalAttentionOptions {
  FocalAttentionOptions(int64_t dim, int64_t num_heads) : dim_(dim), num_heads_(num_heads) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, num_heads);
  TORCH_ARG(int64_t, window_size) = 7;
  TORCH_ARG(int64_t, expand_size) = 0;
  TORCH_ARG(int64_t, focal_window) = 1;
  TORCH_ARG(int64_t, focal_level) = 1;
  TORCH_ARG(std::string, pool_method) = "none";
  TORCH_ARG(int64_t, shift_size) = 0;
  TORCH_ARG(bool, qkv_bias) = true;
  TORCH_ARG(std::optional<double>, qk_scale) = std::nullopt;
  TORCH_ARG(double, attn_drop) = 0.0;
  TORCH_ARG(double, proj_drop) = 0.0;
};

class FocalAttentionImpl : public torch::nn::Module {
 public:
  explicit FocalAttentionImpl(FocalAttentionOptions options);
  void reset();

  // x: (B, Hp, Wp, C) normalised (shifted, padded) map; pooled[k]: (B, Ph_k, Pw_k, C) pooled map of level k.
  // Returns (B, Hp, Wp, C).
  torch::Tensor forward(const torch::Tensor& x, const std::vector<torch::Tensor>& pooled);

  bool has_pooled_levels() const { return pooled_levels_ > 0; }
  int64_t pooled_levels() const { return pooled_levels_; }
  const FocalAttentionOptions& options() const { return options_; }

  torch::Tensor relative_position_bias_table;                                 // ((2ws-1)^2, nH)
  torch::Tensor relative_position_bias_table_to_neighbors;                    // (1, nH, L, n_rolled)
  torch::nn::ParameterList relative_position_bias_table_to_windows{nullptr};  // [k]: (nH, side_k^2)
  torch::nn::Linear qkv{nullptr}, proj{nullptr};

 private:
  // Geometry for a padded map size on a device, built once and reused by every later call.
  const FocalAttentionGeometry& geometry(int64_t hp, int64_t wp, const torch::Device& device);
  // All relative-position biases of the (query, key slot) pairs: (nH, L, S).
  torch::Tensor gather_bias(const FocalAttentionGeometry& g) const;

  FocalAttentionOptions options_;
  FocalAttentionGeometryOptions geometry_options_;
  int64_t pooled_levels_ = 0;
  double scale_ = 1.0;
  std::map<std::tuple<int64_t, int64_t, std::string>, FocalAttentionGeometry> geometry_cache_;
  std::mutex geometry_mutex_;
};
TORCH_MODULE(FocalAttention);

}  // namespace focal
