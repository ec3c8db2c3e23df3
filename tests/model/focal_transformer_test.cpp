// Whole-model behaviour beyond the fixtures: other input sizes and option combinations train (finite
// loss, a finite gradient on every parameter), checkpointing gives the same gradients, the classifier
// interface works, and the geometry cache serves repeated calls.
#include "focal/focal_v1/focal_transformer.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

namespace {

focal::FocalTransformerOptions tiny(int64_t img) {
  return focal::FocalTransformerOptions()
      .img_size(img)
      .num_classes(5)
      .embed_dim(8)
      .depths({1, 2, 1})
      .num_heads({1, 2, 2})
      .window_size(4)
      .focal_levels({2, 2, 2})
      .focal_windows({3, 3, 1})
      .expand_sizes({2, 2, 1})
      .focal_stages({0, 1, 2})
      .expand_stages({0, 1, 2})
      .drop_path_rate(0.0);
}

void check_trains(focal::FocalTransformerOptions options, int64_t img) {
  torch::manual_seed(0);
  focal::FocalTransformer model(options);
  model->train();
  auto x = torch::randn({2, options.in_chans(), img, img});
  auto loss = torch::nn::functional::cross_entropy(model->forward(x), torch::tensor({1, 3}));
  REQUIRE(std::isfinite(loss.item<double>()));
  loss.backward();
  for (const auto& p : model->named_parameters()) {
    INFO(p.key());
    REQUIRE(p.value().grad().defined());
    CHECK(torch::isfinite(p.value().grad()).all().item<bool>());
  }
}

}  // namespace

TEST_CASE("other input sizes and options train with finite gradients everywhere", "[model]") {
  SECTION("non-multiple maps 40 -> 10/5/2") { check_trains(tiny(40), 40); }
  SECTION("60 with shift, layer scale, pre-norm, conv embedding") {
    check_trains(tiny(64).use_shift(true).use_layerscale(true).use_pre_norm(true).use_conv_embed(true), 64);
  }
  SECTION("3 levels, conv pooling, odd expand layers") {
    check_trains(tiny(64).focal_levels({3, 3, 1}).focal_pool("conv").expand_layer("odd"), 64);
  }
  SECTION("max pooling, absolute position embedding, grayscale, patch 2") {
    check_trains(tiny(32).focal_pool("max").ape(true).in_chans(1).patch_size(2), 32);
  }
  SECTION("mean pooling, even expand layers, qk scale, no qkv bias") {
    check_trains(tiny(48).focal_pool("mean").expand_layer("even").qk_scale(0.3).qkv_bias(false), 48);
  }
}

TEST_CASE("activation checkpointing gives the same loss and gradients", "[model]") {
  auto options = tiny(32).drop_path_rate(0.3);  // stochastic depth must replay the same masks
  auto run = [&](bool checkpointing) {
    torch::manual_seed(1);
    focal::FocalTransformer model(options);
    model->set_grad_checkpointing(checkpointing);
    model->train();
    torch::manual_seed(2);
    auto x = torch::randn({3, 3, 32, 32});
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), torch::tensor({0, 1, 2}));
    loss.backward();
    std::vector<torch::Tensor> grads{loss.detach()};
    for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
    return grads;
  };
  auto plain = run(false), checkpointed = run(true);
  REQUIRE(plain.size() == checkpointed.size());
  for (size_t i = 0; i < plain.size(); ++i) CHECK(torch::allclose(plain[i], checkpointed[i], 1e-5, 1e-6));
}

TEST_CASE("classifier interface: features, stages, head reset", "[model]") {
  focal::FocalTransformer model(tiny(32));
  model->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::randn({2, 3, 32, 32});
  auto all = model->forward_all(x, true);
  CHECK(all.pooled.sizes() == torch::IntArrayRef({2, model->num_features()}));
  REQUIRE(all.stage_maps.size() == 3);
  CHECK(all.stage_maps[0].sizes() == torch::IntArrayRef({2, 8, 8, 8}));
  CHECK(all.stage_maps[2].sizes() == torch::IntArrayRef({2, 32, 2, 2}));
  CHECK(torch::allclose(model->forward(x), model->forward(x)));  // cached geometry, same result
  model->reset_classifier(11);
  CHECK(model->forward(x).size(1) == 11);
  CHECK(model->num_classes() == 11);
  CHECK_THROWS_WITH(model->forward(torch::randn({1, 1, 32, 32})), Catch::Contains("expects"));
}
