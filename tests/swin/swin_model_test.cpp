// Swin Transformer without a reference implementation: the registered models' counts against the Swin
// code base's published figures, the configs (ablation rows included), shifted windows and their masks.
#include "focal/config/config.h"
#include "focal/swin/swin_block.h"
#include "focal/swin/swin_complexity.h"
#include "focal/swin/swin_layer.h"
#include "focal/swin/swin_transformer.h"
#include "focal/zoo/model_zoo.h"
#include "focal/zoo/swin_registry.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

namespace {

focal::Config config_file(const std::string& name) {
  return focal::Config::from_file(std::string(FOCAL_SOURCE_DIR) + "/configs/" + name);
}

}  // namespace

TEST_CASE("registered Swin models have the Swin release's parameters and GMACs", "[swin]") {
  // Parameters: timm's/the release's exact counts; GMACs: the Swin paper's table (one decimal).
  struct Row {
    const char* name;
    int64_t params;
    double gmacs;
  };
  for (const Row& r : {Row{"swin_tiny_patch4_window7_224", 28288354, 4.5},
                       Row{"swin_small_patch4_window7_224", 49606258, 8.7},
                       Row{"swin_base_patch4_window7_224", 87768224, 15.4},
                       Row{"swin_base_patch4_window12_384", 87903584, 47.0}}) {
    SECTION(r.name) {
      const auto c = focal::registered_model_complexity(r.name);
      CHECK(c.params == r.params);
      CHECK(static_cast<double>(c.macs) / 1e9 == Approx(r.gmacs).epsilon(0.01));
    }
  }
}

TEST_CASE("Swin configs build the registered models and the ablation rows", "[swin]") {
  for (const auto& name : focal::swin_model_names()) {
    SECTION(name) {
      const auto c = focal::model_complexity_from_config(config_file(name + ".yaml"));
      CHECK(c.params == focal::registered_model_complexity(name).params);
      CHECK(c.macs == focal::registered_model_complexity(name).macs);
    }
  }
  SECTION("window 14") {
    auto o = focal::swin_options_from_config(config_file("swin_tiny_window14_224.yaml"));
    CHECK(o.window_size() == 14);
    focal::swin::SwinTransformer model(o);
    auto* stage0 = model->layers[0]->as<focal::swin::SwinLayerImpl>();
    CHECK(stage0->blocks[1]->as<focal::swin::SwinBlockImpl>()->shift_size() == 7);
    // Stages 2 and 3 (14x14 and 7x7 maps) are a single window: no shift there.
    auto* stage2 = model->layers[2]->as<focal::swin::SwinLayerImpl>();
    CHECK(stage2->blocks[1]->as<focal::swin::SwinBlockImpl>()->shift_size() == 0);
  }
  SECTION("without shift") {
    focal::swin::SwinTransformer model(
        focal::swin_options_from_config(config_file("swin_tiny_noshift_224.yaml")));
    for (const auto& b : model->named_buffers()) CHECK(b.key().find("attn_mask") == std::string::npos);
  }
  SECTION("depths") {
    CHECK(focal::swin_options_from_config(config_file("swin_tiny_depth2222_224.yaml")).depths() ==
          std::vector<int64_t>{2, 2, 2, 2});
    CHECK(focal::swin_options_from_config(config_file("swin_tiny_depth2242_224.yaml")).depths() ==
          std::vector<int64_t>{2, 2, 4, 2});
  }
}

TEST_CASE("shifted Swin blocks mask attention across the wrapped-around regions", "[swin]") {
  // A 14x14 map, window 7, shift 3: perturbing a token may only change outputs of tokens that share its
  // window after the shift AND its region; the top-left token and the bottom-right token of the map land in
  // the same shifted window but in different regions, so neither sees the other.
  torch::manual_seed(0);
  focal::swin::SwinBlock block(focal::swin::SwinBlockOptions(8, 2, 14, 14).window_size(7).shift_size(3));
  block->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::randn({1, 14 * 14, 8});
  auto y = block->forward(x, 14, 14);
  auto x2 = x.clone();
  x2[0][14 * 14 - 1] += 5.0;  // bottom-right token
  auto y2 = block->forward(x2, 14, 14);
  const auto changed = (y2 - y).abs().amax(-1)[0];  // (196,)
  CHECK(changed[14 * 14 - 1].item<double>() > 1e-3);
  CHECK(changed[0].item<double>() == 0.0);           // top-left: same shifted window, other region
  CHECK(changed[14 * 7 + 7].item<double>() == 0.0);  // another window entirely
}

TEST_CASE("Swin: create_model_from_config honours classes, maps of any size and checkpointing", "[swin]") {
  auto config = config_file("swin_tiny_patch4_window7_224.yaml");
  config.merge_opts({"MODEL.NUM_CLASSES", "5", "MODEL.SWIN.DEPTHS", "[1, 1, 1, 1]", "MODEL.SWIN.EMBED_DIM",
                     "16", "MODEL.SWIN.NUM_HEADS", "[1, 1, 2, 2]", "DATA.IMG_SIZE", "96",
                     "TRAIN.USE_CHECKPOINT", "True"});
  auto model = focal::create_model_from_config(config);
  auto f = model->forward_all(torch::randn({2, 3, 96, 96}), true);
  CHECK(model->forward_head(f.pooled).sizes() == torch::IntArrayRef({2, 5}));
  REQUIRE(f.stage_maps.size() == 4);
  CHECK(f.stage_maps[0].sizes() == torch::IntArrayRef({2, 16, 24, 24}));
  CHECK(f.stage_maps[3].sizes() == torch::IntArrayRef({2, 128, 3, 3}));
  model->train();
  model->forward(torch::randn({1, 3, 96, 96})).sum().backward();
  for (const auto& p : model->named_parameters()) {
    INFO(p.key());
    CHECK(p.value().grad().defined());
  }
}
