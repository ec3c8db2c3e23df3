// Focal attention against a plain re-statement of the original algorithm (WindowAttention.forward of
// microsoft/Focal-Transformer's classification/focal_transformer.py): four full-map rolls for the
// fine-grained surroundings, one unfold per pooled level, explicit bias and mask assembly, over window sizes,
// expansions, focal windows and levels, shifts and map sizes the fixtures do not cover. The reference builds
// its index tables and masks itself, as the original's __init__ and block do; nothing of
// focal/focal_v1/focal_geometry.h is used by it. Those restated tables are checked against the buffers the
// original saved in the fixtures.
#include "focal/focal_v1/focal_attention.h"
#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>

namespace {

namespace F = torch::nn::functional;
using torch::indexing::None;
using torch::indexing::Slice;

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

// The original's tables, restated from its code.
namespace original {

// get_relative_position_index(q_windows, k_windows): for query (i1, j1) and key (i2, j2),
// (i1 - i2 + kh - 1) * (qw + kw - 1) + (j1 - j2 + kw - 1). With q = k = ws it is the window table's index.
torch::Tensor relative_position_index(int64_t q, int64_t k) {
  auto coords = [](int64_t n) {  // (2, n*n): row and column of every token
    auto r = torch::arange(n).view({n, 1}).expand({n, n});
    auto c = torch::arange(n).view({1, n}).expand({n, n});
    return torch::stack({r.reshape(-1), c.reshape(-1)});
  };
  auto rel =
      (coords(q).unsqueeze(2) - coords(k).unsqueeze(1)).permute({1, 2, 0}).contiguous();  // (Lq, Lk, 2)
  rel.select(2, 0).add_(k - 1);
  rel.select(2, 1).add_(k - 1);
  rel.select(2, 0).mul_(q + k - 1);
  return rel.sum(-1);  // (Lq, Lk)
}

// valid_ind_rolled: of the four rolled windows (tl, tr, bl, br), the tokens outside the window itself.
torch::Tensor valid_ind_rolled(int64_t ws, int64_t e) {
  auto tl = torch::ones({ws, ws}), tr = torch::ones({ws, ws}), bl = torch::ones({ws, ws}),
       br = torch::ones({ws, ws});
  // Python's [:-e] is [0, ws - e), [e:] is [e, ws); both empty when e == ws.
  const int64_t lo = ws - e;
  tl.index_put_({Slice(0, lo), Slice(0, lo)}, 0);
  tr.index_put_({Slice(0, lo), Slice(e, None)}, 0);
  bl.index_put_({Slice(e, None), Slice(0, lo)}, 0);
  br.index_put_({Slice(e, None), Slice(e, None)}, 0);
  return torch::stack({tl, tr, bl, br}).flatten().nonzero().view(-1);
}

int64_t unfold_kernel(int64_t focal_window, int64_t k) {
  return 2 * (focal_window / 2) + (int64_t{1} << k) + ((int64_t{1} << k) - 1);
}

// valid_ind_unfold_k (k >= 1): the lower-right (kernel - 2^k + 1)^2 block of the unfolded neighbourhood.
torch::Tensor valid_ind_unfold(int64_t focal_window, int64_t k) {
  const int64_t kernel = unfold_kernel(focal_window, k);
  auto mask = torch::zeros({kernel, kernel});
  mask.index_put_({Slice((int64_t{1} << k) - 1, None), Slice((int64_t{1} << k) - 1, None)}, 1);
  return mask.flatten().nonzero().view(-1);
}

// The block's attn_mask for a shifted window: regions labelled by the slices (0, -ws), (-ws, -shift),
// (-shift, None) of both axes; -100 between tokens of different regions.
torch::Tensor shifted_window_mask(int64_t h, int64_t w, int64_t ws, int64_t shift) {
  auto img = torch::zeros({1, h, w, 1});
  const std::vector<std::pair<int64_t, int64_t>> hs = {{0, h - ws}, {h - ws, h - shift}, {h - shift, h}};
  const std::vector<std::pair<int64_t, int64_t>> wsl = {{0, w - ws}, {w - ws, w - shift}, {w - shift, w}};
  int64_t cnt = 0;
  for (const auto& [h0, h1] : hs) {
    for (const auto& [w0, w1] : wsl) {
      img.index_put_({Slice(), Slice(h0, h1), Slice(w0, w1), Slice()}, static_cast<double>(cnt++));
    }
  }
  auto m = window_partition(img, ws).squeeze(-1);  // (nW, L)
  auto diff = m.unsqueeze(1) - m.unsqueeze(2);
  return torch::where(diff != 0, -100.0, 0.0).to(torch::kFloat);
}

}  // namespace original

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
    auto keep = original::valid_ind_rolled(ws, e);
    auto kr = heads(torch::cat(ks, 1).index_select(1, keep), nh),
         vr = heads(torch::cat(vs, 1).index_select(1, keep), nh);
    rolled = kr.size(2);
    k_all = torch::cat({k_all, kr}, 2);
    v_all = torch::cat({v_all, vr}, 2);
  }
  std::vector<torch::Tensor> level_masks;
  for (size_t lvl = 0; lvl < pooled.size(); ++lvl) {
    const int64_t kernel = original::unfold_kernel(o.focal_window(), static_cast<int64_t>(lvl)),
                  stride = int64_t{1} << lvl;
    auto kvp = attn.qkv->forward(pooled[lvl]).chunk(3, -1);
    auto kp = unfold_windows(kvp[1].permute({0, 3, 1, 2}), kernel, stride);
    auto vp = unfold_windows(kvp[2].permute({0, 3, 1, 2}), kernel, stride);
    auto ones = torch::ones({1, 1, pooled[lvl].size(1), pooled[lvl].size(2)});
    auto m = unfold_windows(ones, kernel, stride);  // (nW, K*K, 1)
    if (lvl > 0) {
      auto keep = original::valid_ind_unfold(o.focal_window(), static_cast<int64_t>(lvl));
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
  auto rpi = original::relative_position_index(ws, ws).reshape(-1);
  auto bias_window =
      attn.relative_position_bias_table.index_select(0, rpi).view({area, area, nh}).permute({2, 0, 1});
  std::vector<torch::Tensor> bias{bias_window.unsqueeze(0).expand({b * nw, nh, area, area})};
  if (rolled > 0)
    bias.push_back(attn.relative_position_bias_table_to_neighbors.expand({b * nw, nh, area, rolled}));
  for (size_t lvl = 0; lvl < pooled.size(); ++lvl) {
    const int64_t kw = o.focal_window() + (int64_t{1} << lvl) - 1;
    auto idx = original::relative_position_index(ws, kw).reshape(-1);
    auto table =
        attn.relative_position_bias_table_to_windows->at(lvl).index_select(1, idx).view({nh, area, kw * kw});
    auto mask = level_masks[lvl].repeat({b, 1}).view({b * nw, 1, 1, kw * kw});
    bias.push_back(table.unsqueeze(0) + mask);
  }
  logits = logits + torch::cat(bias, 3);
  if (o.shift_size() > 0) {
    auto shift_mask = original::shifted_window_mask(h, w, ws, o.shift_size()).repeat({b, 1, 1}).unsqueeze(1);
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
      // Same gradients for every bias table (the gathered index must route them to the same entries).
      std::vector<torch::Tensor> tables{attn->relative_position_bias_table};
      if (attn->relative_position_bias_table_to_neighbors.defined()) {
        tables.push_back(attn->relative_position_bias_table_to_neighbors);
      }
      if (attn->relative_position_bias_table_to_windows) {
        for (const auto& t : attn->relative_position_bias_table_to_windows->parameters()) tables.push_back(t);
      }
      auto g1 = torch::autograd::grad({ours.pow(2).sum()}, tables, {}, /*retain_graph=*/true);
      auto g2 = torch::autograd::grad({ref.pow(2).sum()}, tables, {}, /*retain_graph=*/true);
      for (size_t t = 0; t < tables.size(); ++t) {
        INFO("bias table " << t);
        CHECK((g1[t] - g2[t]).abs().max().item<double>() <= 1e-3 * (1 + g2[t].abs().max().item<double>()));
      }
    }
  }
}

TEST_CASE("the reference's restated tables equal the buffers the original saved in the fixtures",
          "[model][attention][fixtures]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures folder absent: " + focal::test::fixtures_dir().string());
  int64_t compared = 0;
  for (const char* name : {"focal_micro_224", "focal_micro_shift_lscale_prenorm_224",
                           "focal_micro_l3_conv_96", "focal_micro_mean_even_128"}) {
    const auto sd =
        focal::io::read_state_dict((focal::test::fixtures_dir() / (std::string(name) + ".pth")).string());
    std::map<std::string, torch::Tensor> buffers(sd.begin(), sd.end());
    for (const auto& [key, t] : sd) {
      INFO(name << ": " << key);
      const auto leaf = key.substr(key.rfind('.') + 1);
      const auto attn = key.substr(0, key.rfind('.'));  // layers.i.blocks.j.attn (or .blocks.j for attn_mask)
      auto window_of = [&](const std::string& prefix) {
        return static_cast<int64_t>(
            std::llround(std::sqrt(double(buffers.at(prefix + ".relative_position_index").size(0)))));
      };
      torch::Tensor expected;
      if (leaf == "relative_position_index") {
        const int64_t ws = window_of(attn);
        expected = original::relative_position_index(ws, ws);
      } else if (leaf.rfind("relative_position_index_", 0) == 0) {
        const int64_t ws = window_of(attn);
        const auto kw = static_cast<int64_t>(std::llround(std::sqrt(double(t.size(1)))));
        expected = original::relative_position_index(ws, kw);
      } else if (leaf == "valid_ind_rolled") {
        const int64_t ws = window_of(attn);
        // 4 ws^2 - 4 (ws - e)^2 kept tokens.
        const auto inner = static_cast<int64_t>(std::llround(std::sqrt(double(4 * ws * ws - t.numel()) / 4)));
        expected = original::valid_ind_rolled(ws, ws - inner);
      } else if (leaf.rfind("valid_ind_unfold_", 0) == 0) {
        const int64_t k = std::stoll(leaf.substr(17));
        const auto kernel =
            static_cast<int64_t>(std::llround(std::sqrt(double(t.max().item<int64_t>() + 1))));
        const int64_t fw =
            kernel - (int64_t{1} << k) - ((int64_t{1} << k) - 1);  // odd: 2 * (fw / 2) = fw - 1
        expected = original::valid_ind_unfold(fw + 1, k);
      } else if (leaf == "attn_mask") {
        const int64_t ws = window_of(key.substr(0, key.rfind('.')) + ".attn");
        const auto side = static_cast<int64_t>(std::llround(std::sqrt(double(t.size(0))))) * ws;
        expected = original::shifted_window_mask(side, side, ws, ws / 2);
      } else {
        continue;
      }
      REQUIRE(expected.sizes() == t.sizes());
      CHECK(torch::equal(expected.to(t.scalar_type()), t));
      ++compared;
    }
  }
  CHECK(compared > 40);
}
