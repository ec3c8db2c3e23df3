// Focal attention against a plain re-statement of the original algorithm (four full-map rolls for the
// fine-grained surroundings, one unfold per pooled level, explicit bias and mask assembly), over window
// sizes, expansions, focal windows and levels, shifts and map sizes the fixtures do not cover.
#include "focal/model/focal_attention.h"
#include "focal/model/focal_geometry.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

namespace {

namespace F = torch::nn::functional;

torch::Tensor window_partition(const torch::Tensor& t, int64_t ws) {  // (B,H,W,C) -> (B*nW, ws*ws, C)
  const int64_t b = t.size(0), h = t.size(1), w = t.size(2), c = t.size(3);
  return t.view({b, h / ws, ws, w / ws, ws, c}).permute({0, 1, 3, 2, 4, 5}).reshape({-1, ws * ws, c});
}

torch::Tensor heads(const torch::Tensor& t, int64_t nh) {  // (N, S, C) -> (N, nH, S, hd)
  return t.view({t.size(0), t.size(1), nh, -1}).transpose(1, 2);
}

torch::Tensor unfold_windows(const torch::Tensor& map, int64_t kernel,
                             int64_t stride) {  // (B,C,Ph,Pw)->(B*nW,K*K,C)
  const int64_t b = map.size(0), c = map.size(1);
  auto u = F::unfold(map, F::UnfoldFuncOptions({kernel, kernel}).stride(stride).padding(kernel / 2));
  return u.view({b, c, kernel, kernel, -1}).permute({0, 4, 2, 3, 1}).reshape({-1, kernel * kernel, c});
}

torch::Tensor reference_attention(focal::FocalAttentionImpl& attn, const torch::Tensor& x,
                                  const std::vector<torch::Tensor>& pooled) {
  const auto& o = attn.options();
  const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  const int64_t ws = o.window_size(), e = o.expand_size(), nh = o.num_heads(), area = ws * ws;
  const int64_t nw = (h / ws) * (w / ws);
  auto qkv = attn.qkv->forward(x).chunk(3, -1);
  auto q = heads(window_partition(qkv[0], ws), nh), k = qkv[1], v = qkv[2];
  auto k_all = heads(window_partition(k, ws), nh), v_all = heads(window_partition(v, ws), nh);
  int64_t rolled = 0;
  if (e > 0 && o.focal_level() > 0) {
    std::vector<torch::Tensor> ks, vs;
    for (auto shift : std::vector<std::pair<int64_t, int64_t>>{{-e, -e}, {-e, e}, {e, -e}, {e, e}}) {
      ks.push_back(window_partition(torch::roll(k, {shift.first, shift.second}, {1, 2}), ws));
      vs.push_back(window_partition(torch::roll(v, {shift.first, shift.second}, {1, 2}), ws));
    }
    auto keep = focal::valid_ind_rolled(ws, e);
    auto kr = heads(torch::cat(ks, 1).index_select(1, keep), nh),
         vr = heads(torch::cat(vs, 1).index_select(1, keep), nh);
    rolled = kr.size(2);
    k_all = torch::cat({k_all, kr}, 2);
    v_all = torch::cat({v_all, vr}, 2);
  }
  std::vector<torch::Tensor> level_masks;
  for (size_t lvl = 0; lvl < pooled.size(); ++lvl) {
    const int64_t kernel = focal::unfold_kernel_size(o.focal_window(), lvl), stride = int64_t{1} << lvl;
    auto kvp = attn.qkv->forward(pooled[lvl]).chunk(3, -1);
    auto kp = unfold_windows(kvp[1].permute({0, 3, 1, 2}), kernel, stride);
    auto vp = unfold_windows(kvp[2].permute({0, 3, 1, 2}), kernel, stride);
    auto ones = torch::ones({1, 1, pooled[lvl].size(1), pooled[lvl].size(2)});
    auto m = unfold_windows(ones, kernel, stride);  // (nW, K*K, 1)
    if (lvl > 0) {
      auto keep = focal::valid_ind_unfold(o.focal_window(), lvl);
      kp = kp.index_select(1, keep);
      vp = vp.index_select(1, keep);
      m = m.index_select(1, keep);
    }
    level_masks.push_back(torch::where(m.squeeze(-1) == 0, -100.0, 0.0).to(torch::kFloat));  // (nW, kk)
    k_all = torch::cat({k_all, heads(kp, nh)}, 2);
    v_all = torch::cat({v_all, heads(vp, nh)}, 2);
  }
  const double scale = o.qk_scale().value_or(std::pow(double(c / nh), -0.5));
  auto logits = torch::matmul(q * scale, k_all.transpose(-2, -1));  // (B*nW, nH, L, S)
  auto rpi = focal::relative_position_index(ws).reshape(-1);
  auto bias_window =
      attn.relative_position_bias_table.index_select(0, rpi).view({area, area, nh}).permute({2, 0, 1});
  std::vector<torch::Tensor> bias{bias_window.unsqueeze(0).expand({b * nw, nh, area, area})};
  if (rolled > 0)
    bias.push_back(attn.relative_position_bias_table_to_neighbors.expand({b * nw, nh, area, rolled}));
  for (size_t lvl = 0; lvl < pooled.size(); ++lvl) {
    const int64_t kw = o.focal_window() + (int64_t{1} << lvl) - 1;
    auto idx = focal::relative_position_index_to_windows(ws, kw).reshape(-1);
    auto table =
        attn.relative_position_bias_table_to_windows->at(lvl).index_select(1, idx).view({nh, area, kw * kw});
    auto mask = level_masks[lvl].repeat({b, 1}).view({b * nw, 1, 1, kw * kw});
    bias.push_back(table.unsqueeze(0) + mask);
  }
  logits = logits + torch::cat(bias, 3);
  if (o.shift_size() > 0) {
    auto shift_mask = focal::shifted_window_mask(h, w, ws, o.shift_size()).repeat({b, 1, 1}).unsqueeze(1);
    logits.narrow(3, 0, area).add_(shift_mask);
  }
  auto out = torch::matmul(logits.softmax(-1), v_all).transpose(1, 2).reshape({b * nw, area, c});
  out = attn.proj->forward(out);
  return out.view({b, h / ws, w / ws, ws, ws, c}).permute({0, 1, 3, 2, 4, 5}).reshape({b, h, w, c});
}

struct Case {
  int64_t ws, expand, focal_window, level, shift, h, w;
  const char* pool;
};

}  // namespace

TEST_CASE("gathered focal attention equals the roll/unfold formulation", "[model][attention]") {
  torch::manual_seed(3);
  const Case cases[] = {
      {7, 3, 7, 2, 0, 14, 21, "fc"}, {7, 3, 5, 3, 0, 28, 14, "mean"}, {5, 2, 3, 2, 2, 15, 10, "fc"},
      {4, 1, 3, 3, 0, 16, 8, "max"}, {7, 0, 7, 2, 3, 14, 14, "conv"}, {6, 3, 1, 2, 0, 12, 18, "fc"},
      {3, 1, 5, 1, 1, 9, 6, "none"}, {7, 7, 3, 2, 0, 7, 14, "fc"},
  };
  for (const auto& cs : cases) {
    DYNAMIC_SECTION("ws " << cs.ws << " expand " << cs.expand << " fw " << cs.focal_window << " level "
                          << cs.level << " shift " << cs.shift << " map " << cs.h << "x" << cs.w << " "
                          << cs.pool) {
      const int64_t dim = 16, nh = 2, batch = 2;
      focal::FocalAttention attn(focal::FocalAttentionOptions(dim, nh)
                                     .window_size(cs.ws)
                                     .expand_size(cs.expand)
                                     .focal_window(cs.focal_window)
                                     .focal_level(cs.level)
                                     .pool_method(cs.pool)
                                     .shift_size(cs.shift));
      {
        torch::NoGradGuard no_grad;
        for (auto& p : attn->parameters()) p.normal_(0, 0.5);  // every table away from zero
      }
      auto x = torch::randn({batch, cs.h, cs.w, dim});
      std::vector<torch::Tensor> pooled;
      for (int64_t k = 0; k < attn->pooled_levels(); ++k) {
        pooled.push_back(torch::randn({batch, cs.h / cs.ws << k, cs.w / cs.ws << k, dim}));
      }
      auto ours = attn->forward(x, pooled);
      auto ref = reference_attention(*attn, x, pooled);
      CHECK((ours - ref).abs().max().item<double>() <= 1e-4);
      // Same gradients for the bias tables (the gathered index must route them to the same entries).
      auto g1 = torch::autograd::grad({ours.pow(2).sum()}, {attn->relative_position_bias_table});
      auto g2 = torch::autograd::grad({ref.pow(2).sum()}, {attn->relative_position_bias_table});
      CHECK((g1[0] - g2[0]).abs().max().item<double>() <= 1e-3 * (1 + g2[0].abs().max().item<double>()));
    }
  }
}

TEST_CASE("geometry tables are built once per map size", "[model][attention]") {
  focal::FocalAttention attn(focal::FocalAttentionOptions(8, 2)
                                 .window_size(4)
                                 .expand_size(1)
                                 .focal_level(2)
                                 .focal_window(3)
                                 .pool_method("mean"));
  auto layout = focal::focal_key_layout({4, 1, 3, 2, true, 0});
  CHECK(layout.window_keys == 16);
  CHECK(layout.rolled_keys == focal::rolled_key_count(4, 1));
  CHECK(layout.pooled_keys == std::vector<int64_t>{9});
  auto g = focal::build_focal_geometry({4, 1, 3, 2, true, 0}, 8, 12);
  CHECK(g.key_index.numel() == g.num_windows() * layout.total());
  CHECK(g.key_index.max().item<int64_t>() == g.num_tokens - 1);  // border windows read the zero row
  CHECK(g.mask.defined());
  CHECK_THROWS_WITH(focal::build_focal_geometry({4, 1, 3, 2, true, 0}, 9, 12), Catch::Contains("not padded"));
  CHECK_THROWS_WITH(focal::focal_key_layout({7, 0, 4, 2, true, 0}), Catch::Contains("odd focal window"));
}
