#include "focal/focal_v2/topk_attention.h"

#include "focal/layers/attention/gathered_window_attention.h"

#include <torch/torch.h>

#include <cmath>

namespace focal::v2 {
namespace {

std::string indice_name(int64_t level) { return "topk_cloest_indice_" + std::to_string(level); }
std::string coords_name(int64_t level) { return "topk_cloest_coords_" + std::to_string(level); }

int64_t tensor_version(const torch::Tensor& t) { return t.is_inference() ? 0 : t._version(); }

}  // namespace

TopkAttentionImpl::TopkAttentionImpl(TopkAttentionOptions options) : options_(std::move(options)) { reset(); }

void TopkAttentionImpl::reset() {
  const auto& o = options_;
  const int64_t nh = o.num_heads(), ws = o.window_size();
  TORCH_CHECK(o.dim() % nh == 0, "Focal-v2 attention: dim ", o.dim(), " is not divisible by ", nh, " heads");
  TORCH_CHECK(o.focal_level() >= 1, "Focal-v2 attention: focal level must be at least 1, got ",
              o.focal_level());
  const int64_t head_dim = o.dim() / nh;
  scale_ = o.qk_scale().value_or(std::pow(static_cast<double>(head_dim), -0.5));
  geometry_cache_.clear();
  topks_.clear();

  qkv = register_module("qkv",
                        torch::nn::Linear(torch::nn::LinearOptions(o.dim(), 3 * o.dim()).bias(o.qkv_bias())));
  proj = register_module("proj", torch::nn::Linear(o.dim(), o.dim()));
  register_buffer("window_coords", window_coords(ws));
  coord2rpb_all = register_module("coord2rpb_all", torch::nn::ModuleList());
  for (int64_t k = 0; k < o.focal_level(); ++k) {
    auto table = topk_level_table(k, o.resolution_h(), o.resolution_w(), ws, o.topk());
    topks_.push_back(table.k);
    register_buffer(indice_name(k), table.indices);
    register_buffer(coords_name(k), table.coords);
    coord2rpb_all->push_back(torch::nn::Sequential(torch::nn::Linear(2, head_dim), torch::nn::ReLU(),
                                                   torch::nn::Linear(head_dim, nh)));
  }
}

std::vector<int64_t> TopkAttentionImpl::buffer_versions() const {
  std::vector<int64_t> versions;
  for (int64_t k = 0; k < options_.focal_level(); ++k) {
    versions.push_back(tensor_version(named_buffers(false)[indice_name(k)]));
    versions.push_back(tensor_version(named_buffers(false)[coords_name(k)]));
  }
  return versions;
}

TopkGeometry TopkAttentionImpl::build_geometry(int64_t h, int64_t w, const torch::Device& device) const {
  const int64_t ws = options_.window_size();
  TopkGeometry g;
  g.height = h;
  g.width = w;
  g.windows_h = h / ws;
  g.windows_w = w / ws;
  // The registered size reads the buffers (a loaded checkpoint's tables are the ones its weights expect);
  // any other size gets freshly built tables.
  const bool registered = h == options_.resolution_h() && w == options_.resolution_w();
  const auto buffers = named_buffers(false);
  std::vector<torch::Tensor> index_parts;
  int64_t offset = 0;
  for (int64_t k = 0; k < options_.focal_level(); ++k) {
    torch::Tensor indices, coords;
    if (registered) {
      indices = buffers[indice_name(k)];
      coords = buffers[coords_name(k)];
    } else {
      auto table = topk_level_table(k, h, w, ws, options_.topk());
      indices = table.indices;
      coords = table.coords;
    }
    // Level 0 keys are the map's tokens; level k > 0 keys are tokens of its pooled map, which has
    // (h / ws) * 2^(k-1) rows. The original indexes it with flat indices of the (h / ws) x (w / ws) window
    // grid; the same indices are used here.
    const int64_t level_tokens = k == 0 ? h * w : (g.windows_h << (k - 1)) * (g.windows_w << (k - 1));
    TORCH_CHECK(indices.dim() == 2 && indices.size(0) == g.windows_h * g.windows_w,
                "Focal-v2 attention: ", indice_name(k), " has shape ", indices.sizes(), " for ",
                g.windows_h * g.windows_w, " windows");
    TORCH_CHECK(indices.numel() == 0 || indices.max().item<int64_t>() < level_tokens,
                "Focal-v2 attention: ", indice_name(k), " indexes beyond the ", level_tokens,
                " keys of its level");
    index_parts.push_back(indices.to(torch::kCPU) + offset);
    g.coords.push_back(coords.to(device));
    offset += level_tokens;
  }
  g.num_tokens = offset;
  g.key_index = torch::cat(index_parts, 1).reshape({-1}).to(device);  // (nW * S)
  if (registered) g.versions = buffer_versions();
  return g;
}

const TopkGeometry& TopkAttentionImpl::geometry(int64_t h, int64_t w, const torch::Device& device) {
  std::lock_guard<std::mutex> lock(geometry_mutex_);
  auto key = std::make_tuple(h, w, device.str());
  auto it = geometry_cache_.find(key);
  const bool registered = h == options_.resolution_h() && w == options_.resolution_w();
  // The registered size follows its buffers: a load_state_dict after the first call rebuilds it.
  if (it != geometry_cache_.end() && registered && it->second.versions != buffer_versions()) {
    geometry_cache_.erase(it);
    it = geometry_cache_.end();
  }
  if (it == geometry_cache_.end()) it = geometry_cache_.emplace(key, build_geometry(h, w, device)).first;
  return it->second;
}

torch::Tensor TopkAttentionImpl::forward(const torch::Tensor& x, const std::vector<torch::Tensor>& pooled) {
  const int64_t h = x.size(1), w = x.size(2), nh = options_.num_heads(), ws = options_.window_size();
  TORCH_CHECK(h % ws == 0 && w % ws == 0, "Focal-v2 attention: a ", h, "x", w,
              " map is not a multiple of the window ", ws,
              " (the original model partitions the map without padding)");
  TORCH_CHECK(static_cast<int64_t>(pooled.size()) == pooled_levels(), "Focal-v2 attention: expected ",
              pooled_levels(), " pooled maps, got ", pooled.size());
  const TopkGeometry& g = geometry(h, w, x.device());
  const int64_t nw = g.windows_h * g.windows_w, area = ws * ws;

  // Bias of every (query, key slot) pair: each level's MLP on its offsets, levels side by side.
  std::vector<torch::Tensor> level_bias;
  for (int64_t k = 0; k < options_.focal_level(); ++k) {
    auto mlp = coord2rpb_all[k]->as<torch::nn::Sequential>();
    auto dtype = mlp->parameters().front().scalar_type();
    level_bias.push_back(mlp->forward(g.coords[k].to(dtype)));  // (nW, L, K_k, nH)
  }
  auto bias = torch::cat(level_bias, 2)              // (nW, L, S, nH)
                  .permute({3, 0, 1, 2})             // (nH, nW, L, S)
                  .reshape({1, nh * nw, area, -1});  // (1, nH*nW, L, S)

  const double dropout = is_training() ? options_.attn_drop() : 0.0;
  auto out = gathered_window_attention(x, pooled, qkv, {g.key_index, g.num_tokens, false}, bias, nh, ws,
                                       scale_, dropout);            // (B, H, W, C)
  out = proj->forward(out);                                         // (B, H, W, C)
  return torch::dropout(out, options_.proj_drop(), is_training());  // (B, H, W, C)
}

}  // namespace focal::v2
