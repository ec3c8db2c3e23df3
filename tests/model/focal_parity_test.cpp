// Numerical parity with the original implementation on every golden fixture: stage outputs, logits, loss
// and every parameter gradient, within the tolerances of ../shared/fixtures/focal/README.md.
#include "focal/focal_v1/focal_complexity.h"
#include "tests/model/fixture_reference.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

namespace {

const char* const kFixtures[] = {
    "focal_micro_224",        "focal_micro_useconv_224",     "focal_micro_shift_lscale_prenorm_224",
    "focal_micro_l3_conv_96", "focal_micro_l1_noexpand_224", "focal_micro_mean_even_128"};

void check_parity(const std::string& name, const torch::Device& device) {
  using focal::test::max_abs_diff;
  auto ref = focal::test::load_fixture(name);
  auto model = focal::test::load_fixture_model(name, ref.options);
  model->to(device);
  const auto input = ref.tensors.at("input").to(device);

  // Eval mode: patch embedding, every stage, logits.
  model->eval();
  {
    torch::NoGradGuard no_grad;
    auto features = model->forward_all(input, /*with_stages=*/true);
    CHECK(max_abs_diff(features.patch_embed.cpu(), ref.tensors.at("patch_embed")) <= 1e-4);
    REQUIRE(features.stages.size() == ref.options.depths().size());
    for (size_t i = 0; i < features.stages.size(); ++i) {
      INFO("stage " << i);
      const auto& expected = ref.tensors.at("stage" + std::to_string(i));
      REQUIRE(features.stages[i].sizes() == expected.sizes());
      CHECK(max_abs_diff(features.stages[i].cpu(), expected) <= 1e-4);
    }
    CHECK(max_abs_diff(model->head->forward(features.pooled).cpu(), ref.tensors.at("logits")) <= 1e-4);
  }

  // Train mode (drop path 0): cross-entropy loss and the gradient of every parameter.
  model->train();
  auto loss =
      torch::nn::functional::cross_entropy(model->forward(input), ref.tensors.at("target").to(device));
  CHECK(std::abs(loss.item<double>() - ref.tensors.at("loss").item<double>()) <= 1e-5);
  loss.backward();
  int64_t compared = 0;
  for (const auto& p : model->named_parameters()) {
    INFO("gradient of " << p.key());
    const auto it = ref.tensors.find("grad." + p.key());
    REQUIRE(it != ref.tensors.end());
    REQUIRE(p.value().grad().defined());
    const double scale = std::max(it->second.abs().max().item<double>(), 1e-12);
    CHECK(max_abs_diff(p.value().grad().cpu(), it->second) <= 1e-4 * scale);
    ++compared;
  }
  CHECK(compared == static_cast<int64_t>(model->parameters().size()));
}

}  // namespace

TEST_CASE("Focal Transformer reproduces the original on every fixture (CPU, float32)", "[parity]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) { check_parity(name, torch::kCPU); }
  }
}

TEST_CASE("Focal Transformer reproduces the original on CUDA", "[parity][cuda]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) {
      // TF32 would exceed the float32 tolerances; parity is checked in full float32.
      at::globalContext().setAllowTF32CuBLAS(false);
      at::globalContext().setAllowTF32CuDNN(false);
      check_parity(name, torch::kCUDA);
    }
  }
}

TEST_CASE("Analytic parameter and MAC counts equal the original's on every fixture", "[complexity]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) {
      auto ref = focal::test::load_fixture(name);
      focal::FocalTransformer model(ref.options);
      int64_t counted = 0;
      for (const auto& p : model->parameters()) counted += p.numel();
      CHECK(counted == ref.expected_params);
      CHECK(focal::focal_parameter_count(ref.options) == ref.expected_params);
      CHECK(focal::focal_macs_exact(ref.options) == Approx(ref.expected_macs).epsilon(1e-12));
    }
  }
}
