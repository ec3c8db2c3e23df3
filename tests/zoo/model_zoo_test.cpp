// The registered models: the original hyper-parameters (through the analytic counts the fixtures README
// states for the full models), the YAML configurations agreeing with the registry, and construction.
#include "focal/zoo/model_zoo.h"
#include "focal/config/config.h"
#include "focal/config/focal_options.h"
#include "focal/zoo/focal_registry.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

namespace {

struct Expected {
  const char* name;
  int64_t params;
  int64_t macs;
};

// ../shared/fixtures/focal/README.md: the original's counts of the full models at 224.
const Expected kPublished[] = {
    {"focal_tiny_patch4_window7_224", 28880380, 4924284672},
    {"focal_small_patch4_window7_224", 51141940, 9431553792},
    {"focal_base_patch4_window7_224", 89815400, 16370725888},
    {"focal_tiny_useconv_patch4_window7_224", 30825244, 5170849536},
    {"focal_small_useconv_patch4_window7_224", 53086804, 9678118656},
    {"focal_base_useconv_patch4_window7_224", 93268712, 16795816960},
    // ../shared/fixtures/focalv2/README.md: the original v2 model's counts.
    {"focalv2_tiny_useconv_patch4_window7_224", 30220564, 5320637440},
    {"focalv2_small_useconv_patch4_window7_224", 51526540, 9879774208},
    {"focalv2_base_useconv_patch4_window7_224", 91186824, 17033354496},
};

}  // namespace

TEST_CASE("registered Focal models have the original's parameter and MAC counts", "[zoo]") {
  for (const auto& e : kPublished) {
    SECTION(e.name) {
      const auto c = focal::registered_model_complexity(e.name);
      CHECK(c.params == e.params);
      CHECK(c.macs == e.macs);
    }
  }
}

TEST_CASE("a built Focal-T has exactly the counted parameters", "[zoo]") {
  auto model = focal::create_model("focal_tiny_patch4_window7_224");
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  CHECK(n == 28880380);
  CHECK(model->num_classes() == 1000);
  CHECK(model->num_features() == 768);
}

TEST_CASE("configs/ YAML files build the registered models", "[zoo]") {
  for (const auto& name : focal::focal_model_names()) {
    SECTION(name) {
      const auto config =
          focal::Config::from_file(std::string(FOCAL_SOURCE_DIR) + "/configs/" + name + ".yaml");
      const auto from_yaml = focal::model_complexity_from_config(config);
      const auto registered = focal::registered_model_complexity(name);
      CHECK(from_yaml.params == registered.params);
      CHECK(from_yaml.macs == registered.macs);
      const auto a = focal::focal_options_from_config(config);
      const auto b = focal::focal_registered_options(name);
      CHECK(a.drop_path_rate() == Approx(b.drop_path_rate()));
      CHECK(a.use_conv_embed() == b.use_conv_embed());
    }
  }
}

TEST_CASE("the released v2 YAML's model names (without _useconv) name the registered v2 models", "[zoo]") {
  for (const char* size : {"tiny", "small", "base"}) {
    const std::string released = std::string("focalv2_") + size + "_patch4_window7_224";
    const std::string registered = std::string("focalv2_") + size + "_useconv_patch4_window7_224";
    CHECK(focal::registered_model(released).name == registered);
    CHECK(focal::registered_model(released).family == "focalv2");
    CHECK(focal::registered_model_complexity(released).macs ==
          focal::registered_model_complexity(registered).macs);
  }
  CHECK_THROWS_WITH(focal::registered_model("focalv2_huge_patch4_window7_224"),
                    Catch::Contains("focalv2_tiny_useconv_patch4_window7_224"));
}

TEST_CASE("unknown names are errors that list the registered models", "[zoo]") {
  CHECK_THROWS_WITH(focal::create_model("focal_huge"), Catch::Contains("focal_tiny_patch4_window7_224"));
}

TEST_CASE("create_model_from_config honours classes and checkpointing", "[zoo]") {
  auto config =
      focal::Config::from_file(std::string(FOCAL_SOURCE_DIR) + "/configs/focal_tiny_patch4_window7_224.yaml");
  config.merge_opts({"MODEL.NUM_CLASSES", "7", "MODEL.FOCAL.DEPTHS", "[1, 1, 1, 1]", "DATA.IMG_SIZE", "64"});
  auto model = focal::create_model_from_config(config);
  auto logits = model->forward(torch::randn({2, 3, 64, 64}));
  CHECK(logits.sizes() == torch::IntArrayRef({2, 7}));
}

TEST_CASE("the quick-start config builds a one-channel model that fits a fixed batch", "[zoo]") {
  const auto config =
      focal::Config::from_file(std::string(FOCAL_SOURCE_DIR) + "/configs/fmnist_focal_tiny.yaml");
  const int64_t size = config.get<int64_t>("DATA.IMG_SIZE");
  const int64_t classes = config.get<int64_t>("MODEL.NUM_CLASSES");
  const int64_t chans = config.get<int64_t>("MODEL.FOCAL.IN_CHANS");
  torch::manual_seed(0);
  auto model = focal::create_model_from_config(config);
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  CHECK(n == focal::model_complexity_from_config(config).params);

  // A few AdamW steps on one small batch must lower its loss, with finite gradients everywhere.
  const auto images = torch::randn({8, chans, size, size});
  const auto targets = torch::arange(8) % classes;
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
  model->train();
  double first = 0, last = 0;
  for (int step = 0; step < 8; ++step) {
    optimizer.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(images), targets);  // ()
    loss.backward();
    for (const auto& p : model->parameters()) REQUIRE(torch::isfinite(p.grad()).all().item<bool>());
    optimizer.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  CHECK(last < first);
}
