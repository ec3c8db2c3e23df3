// One halo attention layer against the per-pixel reference, and its gradients against finite differences.
#include "focal/halonet/halo_attention.h"
#include "tests/halonet/brute_force_attention.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <sstream>

using focal::halonet::HaloAttention;
using focal::halonet::HaloAttentionOptions;
using focal::halonet::RelPosLayout;

namespace {

struct Case {
  int64_t dim, dim_out, heads, block, halo, stride, height, width;
  bool paper = false, scale_pos = false, bias = false, avg_down = false;
  double qk_ratio = 1.0;
};

std::string describe(const Case& c) {
  std::ostringstream s;
  s << "dim " << c.dim << " out " << c.dim_out << " heads " << c.heads << " b " << c.block << " h " << c.halo
    << " stride " << c.stride << " map " << c.height << "x" << c.width << (c.paper ? " paper" : " timm")
    << (c.scale_pos ? " scale_pos" : "") << (c.bias ? " bias" : "") << (c.avg_down ? " avg_down" : "")
    << " qk_ratio " << c.qk_ratio;
  return s.str();
}

HaloAttention make_layer(const Case& c) {
  auto layer = HaloAttention(HaloAttentionOptions(c.dim)
                                 .dim_out(c.dim_out)
                                 .num_heads(c.heads)
                                 .block_size(c.block)
                                 .halo_size(c.halo)
                                 .stride(c.stride)
                                 .qk_ratio(c.qk_ratio)
                                 .qkv_bias(c.bias)
                                 .avg_down(c.avg_down)
                                 .scale_pos_embed(c.scale_pos)
                                 .rel_pos_layout(c.paper ? RelPosLayout::kPaper : RelPosLayout::kTimm));
  layer->to(torch::kDouble);
  torch::NoGradGuard no_grad;
  // Larger weights than the init so that the softmax is far from uniform and positions matter.
  for (auto& p : layer->parameters()) p.normal_(0.0, 0.7);
  return layer;
}

torch::Tensor reference(HaloAttention& layer, const Case& c, const torch::Tensor& x) {
  auto flat = [](const torch::Tensor& w) { return w.flatten(1); };
  focal::halonet::test::BruteForceSpec spec{
      c.heads, layer->dim_head_qk(), layer->dim_head_v(), c.block, c.halo, c.stride,
      c.paper, c.scale_pos,          c.avg_down};
  return focal::halonet::test::brute_force_halo_attention(
      x, flat(layer->q->weight), c.bias ? layer->q->bias : torch::Tensor(), flat(layer->kv->weight),
      c.bias ? layer->kv->bias : torch::Tensor(), layer->pos_embed->height_rel, layer->pos_embed->width_rel,
      spec);
}

}  // namespace

TEST_CASE("halo attention equals the per-pixel reference", "[halonet][attention]") {
  // dim, dim_out, heads, block, halo, stride, H, W, paper, scale_pos, bias, avg_down, qk_ratio
  const std::vector<Case> cases{
      {8, 8, 2, 4, 1, 1, 8, 8},                             // stride 1, even block, divisible
      {8, 8, 2, 4, 2, 1, 7, 10},                            // stride 1, non-divisible both ways
      {6, 6, 2, 3, 1, 1, 6, 9},                             // odd block, divisible
      {6, 6, 1, 3, 2, 1, 5, 7},                             // odd block, non-divisible
      {8, 8, 2, 4, 1, 2, 8, 8},                             // stride 2, strided queries
      {8, 8, 2, 4, 2, 2, 7, 10},                            // stride 2, non-divisible, odd height
      {6, 6, 2, 3, 1, 2, 6, 6},                             // stride 2, odd block: stride 1 + avg pool
      {6, 6, 2, 3, 1, 2, 7, 5},                             // same, odd map: ceil-mode pool
      {8, 8, 2, 4, 1, 2, 8, 8, false, false, false, true},  // avg_down with even block
      {8, 8, 2, 4, 1, 1, 8, 8, true},                       // paper layout (half-width tables)
      {8, 8, 2, 4, 1, 1, 8, 8, false, true},                // scaled position logits
      {8, 8, 2, 4, 1, 1, 6, 7, false, false, true},         // qkv bias with padding: padded keys stay zero
      {8, 12, 2, 4, 1, 1, 8, 8, false, false, false, false, 0.5},  // values wider than queries/keys
      {8, 8, 1, 2, 3, 1, 5, 5},                                    // halo larger than the block
      {4, 4, 1, 8, 0, 1, 3, 3},                                    // no halo, map smaller than one block
  };
  torch::manual_seed(0);
  for (const auto& c : cases) {
    SECTION(describe(c)) {
      auto layer = make_layer(c);
      auto x = torch::randn({2, c.dim, c.height, c.width}, torch::kDouble);
      torch::NoGradGuard no_grad;
      auto got = layer(x);
      auto want = reference(layer, c, x);
      INFO(describe(c));
      REQUIRE(got.sizes() == want.sizes());
      CHECK(got.size(2) == (c.height + c.stride - 1) / c.stride);
      CHECK(torch::allclose(got, want, 1e-9, 1e-9));
    }
  }
}

TEST_CASE("halo attention rejects bad input and options", "[halonet][attention]") {
  CHECK_THROWS(HaloAttention(HaloAttentionOptions(8).num_heads(3)));
  CHECK_THROWS(HaloAttention(HaloAttentionOptions(8).num_heads(2).stride(3)));
  auto layer = HaloAttention(HaloAttentionOptions(8).num_heads(2).block_size(4).halo_size(1));
  CHECK_THROWS(layer(torch::randn({1, 7, 8, 8})));
  CHECK_THROWS(layer(torch::randn({7, 8, 8})));
}

TEST_CASE("halo attention gradients match finite differences", "[halonet][attention]") {
  torch::manual_seed(1);
  for (const auto& c :
       {Case{4, 4, 2, 2, 1, 1, 3, 5}, Case{4, 4, 2, 2, 1, 2, 5, 4}, Case{4, 4, 1, 3, 1, 2, 4, 4}}) {
    SECTION(describe(c)) {
      auto layer = make_layer(c);
      auto x = torch::randn({1, c.dim, c.height, c.width}, torch::kDouble).requires_grad_(true);
      auto probe = torch::randn_like(layer(x));
      auto loss_of = [&] { return (layer(x) * probe).sum(); };
      loss_of().backward();
      std::vector<torch::Tensor> tensors{x, layer->q->weight, layer->kv->weight, layer->pos_embed->height_rel,
                                         layer->pos_embed->width_rel};
      const double eps = 1e-6;
      for (auto& t : tensors) {
        REQUIRE(t.grad().defined());
        auto flat = t.detach().view(-1);  // shares storage: perturbs the tensor in place
        auto grad = t.grad().view(-1);
        for (int64_t i = 0; i < flat.numel(); i += std::max<int64_t>(1, flat.numel() / 7)) {
          torch::NoGradGuard no_grad;
          const double orig = flat[i].item<double>();
          flat[i] = orig + eps;
          const double up = loss_of().item<double>();
          flat[i] = orig - eps;
          const double down = loss_of().item<double>();
          flat[i] = orig;
          const double numeric = (up - down) / (2 * eps);
          CHECK(grad[i].item<double>() == Approx(numeric).epsilon(1e-5).margin(1e-6));
        }
      }
    }
  }
}

TEST_CASE("halo attention on CUDA matches the CPU", "[halonet][cuda]") {
  torch::manual_seed(2);
  for (const auto& c : {Case{16, 16, 2, 4, 1, 1, 8, 8}, Case{16, 16, 2, 4, 2, 2, 7, 10},
                        Case{16, 24, 2, 3, 1, 2, 7, 5, false, false, true, false, 0.5}}) {
    SECTION(describe(c)) {
      auto layer = make_layer(c);
      layer->to(torch::kFloat);
      auto x = torch::randn({2, c.dim, c.height, c.width});
      auto x_cpu = x.clone().requires_grad_(true);
      auto out_cpu = layer(x_cpu);
      out_cpu.square().sum().backward();
      layer->to(torch::kCUDA);
      auto x_gpu = x.to(torch::kCUDA).requires_grad_(true);
      auto out_gpu = layer(x_gpu);
      out_gpu.square().sum().backward();
      CHECK(torch::allclose(out_gpu.cpu(), out_cpu.detach(), 1e-3, 1e-4));
      CHECK(torch::allclose(x_gpu.grad().cpu(), x_cpu.grad(), 1e-3, 1e-3));
    }
  }
}
