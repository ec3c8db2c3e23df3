// Focal-v2 (top-K focal attention) against the original focal_transformer_v2.py: the golden fixtures of
// ../shared/fixtures/focalv2 (stages, logits, loss, every gradient), the top-K buffers it saves, and its
// analytic counts (fixtures and the full-size figures of the fixtures' README).
#include "focal/focal_v1/focal_complexity.h"
#include "focal/focal_v1/focal_transformer.h"
#include "focal/io/checkpoint.h"
#include "focal/io/state_dict.h"
#include "tests/model/fixture_reference.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

namespace {

const char* const kFixtures[] = {"focalv2_micro_224", "focalv2_micro_patch_even_160"};

bool have_v2_fixtures() {
  return std::filesystem::exists(focal::test::focalv2_fixtures_dir() / "focalv2_micro_224.json");
}

focal::FocalTransformerOptions v2_full(int64_t dim, std::vector<int64_t> depths, std::vector<int64_t> heads) {
  return focal::FocalTransformerOptions()
      .model_type("focalv2")
      .focal_topK(128)
      .embed_dim(dim)
      .depths(depths)
      .num_heads(heads)
      .focal_levels({2, 2, 2, 2})
      .focal_windows({7, 5, 3, 1})
      .focal_pool("fc")
      .use_conv_embed(true);
}

}  // namespace

TEST_CASE("Focal-v2 reproduces the original on every fixture (CPU, float32)", "[parity][fixtures]") {
  if (!have_v2_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::focalv2_fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) {
      focal::test::check_fixture_parity(name, focal::test::focalv2_fixtures_dir(), torch::kCPU);
    }
  }
}

TEST_CASE("Focal-v2 reproduces the original on CUDA", "[parity][cuda]") {
  if (!have_v2_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::focalv2_fixtures_dir());
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  for (const char* name : kFixtures) {
    SECTION(name) {
      focal::test::check_fixture_parity(name, focal::test::focalv2_fixtures_dir(), torch::kCUDA);
    }
  }
}

TEST_CASE("Focal-v2 builds the original's top-K buffers itself, names and values", "[fixtures]") {
  if (!have_v2_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::focalv2_fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) {
      const auto dir = focal::test::focalv2_fixtures_dir();
      auto ref = focal::test::load_fixture(name, dir);
      focal::FocalTransformer model(ref.options);  // not loaded: its own tables
      std::map<std::string, torch::Tensor> mine;
      for (const auto& b : model->named_buffers()) mine[b.key()] = b.value();
      int64_t tables = 0;
      for (const auto& [key, value] :
           focal::io::read_state_dict((dir / (std::string(name) + ".pth")).string())) {
        if (key.find("topk_cloest_") == std::string::npos && key.find("window_coords") == std::string::npos)
          continue;
        INFO(key);
        REQUIRE(mine.count(key));
        REQUIRE(mine[key].sizes() == value.sizes());
        CHECK(mine[key].scalar_type() == value.scalar_type());
        CHECK(torch::equal(mine[key], value));
        ++tables;
      }
      CHECK(tables > 0);
    }
  }
}

TEST_CASE("Focal-v2 analytic counts equal the original's", "[complexity]") {
  SECTION("full-size models at 224 (figures of the original, from the fixtures' README)") {
    auto t = v2_full(96, {2, 2, 6, 2}, {3, 6, 12, 24});
    auto s = v2_full(96, {2, 2, 18, 2}, {3, 6, 12, 24});
    auto b = v2_full(128, {2, 2, 18, 2}, {4, 8, 16, 32});
    CHECK(focal::focal_parameter_count(t) == 30220564);
    CHECK(focal::focal_macs_exact(t) == 5320637440.0);
    CHECK(focal::focal_parameter_count(s) == 51526540);
    CHECK(focal::focal_macs_exact(s) == 9879774208.0);
    CHECK(focal::focal_parameter_count(b) == 91186824);
    CHECK(focal::focal_macs_exact(b) == 17033354496.0);
    CHECK(focal::test::built_parameter_count(t) == 30220564);
  }
  if (!have_v2_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::focalv2_fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) {
      focal::test::check_fixture_counts(focal::test::load_fixture(name, focal::test::focalv2_fixtures_dir()));
    }
  }
}

TEST_CASE("Focal-v2 top-K tables follow a checkpoint loaded after the first forward", "[fixtures]") {
  if (!have_v2_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::focalv2_fixtures_dir());
  const auto dir = focal::test::focalv2_fixtures_dir();
  auto ref = focal::test::load_fixture("focalv2_micro_224", dir);
  auto loaded = focal::test::load_fixture_model("focalv2_micro_224", ref.options, dir);
  loaded->eval();
  torch::NoGradGuard no_grad;
  const auto input = ref.tensors.at("input");
  const auto expected = loaded->forward(input);
  // Changing a table in place after a forward (as load_state_dict does) changes the next forward.
  auto table = loaded->named_buffers()["layers.0.blocks.0.attn.topk_cloest_indice_0"];
  const auto saved = table.clone();
  table.zero_();  // every window now attends token 0 only, K times
  CHECK(focal::test::max_abs_diff(loaded->forward(input), expected) > 1e-3);
  // Loading the checkpoint again restores the reference output.
  const std::string path = (dir / "focalv2_micro_224.pth").string();
  focal::io::load_state_dict(*loaded, focal::io::read_state_dict(path), /*strict=*/true, path);
  CHECK(torch::equal(table, saved));
  CHECK(focal::test::max_abs_diff(loaded->forward(input), expected) == 0.0);
  CHECK(focal::test::max_abs_diff(expected, ref.tensors.at("logits")) <= 1e-4);
}

TEST_CASE("Focal-v2 refuses maps that are not a multiple of the window, naming both", "[focalv2]") {
  auto o = focal::FocalTransformerOptions()
               .model_type("focalv2")
               .img_size(64)
               .embed_dim(8)
               .depths({1, 1})
               .num_heads({1, 2})
               .window_size(7)
               .focal_levels({2, 2})
               .focal_windows({3, 1})
               .expand_sizes({0, 0})
               .num_classes(3);
  CHECK_THROWS_WITH(focal::FocalTransformer(o)->forward(torch::randn({1, 3, 64, 64})),
                    Catch::Contains("16x16") && Catch::Contains("window 7"));
}
