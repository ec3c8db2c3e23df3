#include "focal/focal_v1/focal_attention.h"

#include "focal/layers/attention/gathered_window_attention.h"
#include "focal/layers/backbone/weight_init.h"

#include <torch/torch.h>

#include <cmath>

namespace focal {

FocalAttentionImpl::FocalAttentionImpl(FocalAttentionOptions options) : options_(std::move(options)) {
  reset();
}

void FocalAttentionImpl::reset() {
  const auto& o = options_;
  const int64_t ws = o.window_size(), nh = o.num_heads(), area = ws * ws;
  TORCH_CHECK(o.dim() % nh == 0, "focal attention: dim ", o.dim(), " is not divisible by ", nh, " heads");
  TORCH_CHECK(o.expand_size() <= ws, "focal attention: expand size ", o.expand_size(), " exceeds the window ",
              ws);
  scale_ = o.qk_scale().value_or(std::pow(static_cast<double>(o.dim() / nh), -0.5));
  geometry_options_.window_size = ws;
  geometry_options_.expand_size = o.expand_size();
  geometry_options_.focal_window = o.focal_window();
  geometry_options_.focal_level = o.focal_level();
  geometry_options_.pooled = o.pool_method() != "none";
  geometry_options_.shift_size = o.shift_size();
  const FocalKeyLayout layout = focal_key_layout(geometry_options_);
  pooled_levels_ = static_cast<int64_t>(layout.pooled_keys.size());
  geometry_cache_.clear();

  relative_position_bias_table =
      register_parameter("relative_position_bias_table", torch::zeros({(2 * ws - 1) * (2 * ws - 1), nh}));
  register_buffer("relative_position_index", relative_position_index(ws));

  if (layout.rolled_keys > 0) {
    relative_position_bias_table_to_neighbors = register_parameter(
        "relative_position_bias_table_to_neighbors",
        trunc_normal_(torch::empty({1, nh, area, rolled_key_count(ws, o.expand_size())}), 0.02));
    register_buffer("valid_ind_rolled", valid_ind_rolled(ws, o.expand_size()));
  }
  if (pooled_levels_ > 0) {
    relative_position_bias_table_to_windows =
        register_module("relative_position_bias_table_to_windows", torch::nn::ParameterList());
    for (int64_t k = 0; k < pooled_levels_; ++k) {
      const int64_t side = to_windows_table_side(ws, o.focal_window(), k);
      // ParameterList registers the tensor's own requires_grad flag, so set it as nn.Parameter would.
      relative_position_bias_table_to_windows->append(
          trunc_normal_(torch::empty({nh, side * side}), 0.02).requires_grad_(true));
      const int64_t key_window = o.focal_window() + (int64_t{1} << k) - 1;
      register_buffer("relative_position_index_" + std::to_string(k),
                      relative_position_index_to_windows(ws, key_window));
      if (k > 0)
        register_buffer("valid_ind_unfold_" + std::to_string(k), valid_ind_unfold(o.focal_window(), k));
    }
  }
  qkv = register_module("qkv",
                        torch::nn::Linear(torch::nn::LinearOptions(o.dim(), 3 * o.dim()).bias(o.qkv_bias())));
  proj = register_module("proj", torch::nn::Linear(o.dim(), o.dim()));
}

const FocalAttentionGeometry& FocalAttentionImpl::geometry(int64_t hp, int64_t wp,
                                                           const torch::Device& device) {
  std::lock_guard<std::mutex> lock(geometry_mutex_);
  auto key = std::make_tuple(hp, wp, device.str());
  auto it = geometry_cache_.find(key);
  if (it == geometry_cache_.end()) {
    FocalAttentionGeometry g = build_focal_geometry(geometry_options_, hp, wp);
    g.key_index = g.key_index.to(device);
    g.bias_index = g.bias_index.to(device);
    if (g.mask.defined()) g.mask = g.mask.to(device);
    it = geometry_cache_.emplace(key, std::move(g)).first;
  }
  return it->second;
}

torch::Tensor FocalAttentionImpl::gather_bias(const FocalAttentionGeometry& g) const {
  const int64_t nh = options_.num_heads(), area = options_.window_size() * options_.window_size();
  std::vector<torch::Tensor> tables{relative_position_bias_table.t()};  // (nH, (2ws-1)^2)
  if (relative_position_bias_table_to_neighbors.defined()) {
    tables.push_back(relative_position_bias_table_to_neighbors.reshape({nh, -1}));  // (nH, L * n_rolled)
  }
  for (int64_t k = 0; k < pooled_levels_; ++k) {
    tables.push_back(relative_position_bias_table_to_windows->at(k));  // (nH, side_k^2)
  }
  return torch::cat(tables, 1).index_select(1, g.bias_index).view({nh, area, -1});  // (nH, L, S)
}

torch::Tensor FocalAttentionImpl::forward(const torch::Tensor& x, const std::vector<torch::Tensor>& pooled) {
  const int64_t hp = x.size(1), wp = x.size(2);
  const int64_t nh = options_.num_heads(), ws = options_.window_size(), area = ws * ws;
  TORCH_CHECK(static_cast<int64_t>(pooled.size()) == pooled_levels_, "focal attention: expected ",
              pooled_levels_, " pooled maps, got ", pooled.size());
  const FocalAttentionGeometry& g = geometry(hp, wp, x.device());
  const int64_t nw = g.num_windows();

  // Additive bias: relative positions per head, plus the constant per-window masks.
  auto bias = gather_bias(g).unsqueeze(1);              // (nH, 1, L, S)
  bias = g.mask.defined() ? bias + g.mask.unsqueeze(0)  // (nH, nW, L, S)
                          : bias.expand({nh, nw, area, bias.size(3)});
  bias = bias.reshape({1, nh * nw, area, -1});  // (1, nH*nW, L, S)

  const double dropout = is_training() ? options_.attn_drop() : 0.0;
  auto out = gathered_window_attention(x, pooled, qkv, {g.key_index, g.num_tokens, /*zero_row=*/true}, bias,
                                       nh, ws, scale_, dropout);    // (B, Hp, Wp, C)
  out = proj->forward(out);                                         // (B, Hp, Wp, C)
  return torch::dropout(out, options_.proj_drop(), is_training());  // (B, Hp, Wp, C)
}

}  // namespace focal
