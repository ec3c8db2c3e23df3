// Parity with timm's Swin Transformer (tests/swin/timm_reference.py): timm's weights loaded unchanged (timm
// layout, through adapt_checkpoint) reproduce timm's stage outputs, logits, loss and every gradient; the same
// weights in the Swin release layout (`model` key, merging at the end of a stage, head.weight, geometry
// buffers written by the script) load strictly and give the same outputs.
#include "focal/io/state_dict.h"
#include "focal/swin/swin_complexity.h"
#include "focal/swin/swin_transformer.h"
#include "focal/swin/swin_weights.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

namespace {

using focal::swin::SwinTransformerOptions;

struct Variant {
  const char* name;
  SwinTransformerOptions options;
};

std::vector<Variant> variants() {
  return {{"tiny", SwinTransformerOptions().drop_path_rate(0.0)},
          {"w12_384", SwinTransformerOptions()
                          .img_size(384)
                          .window_size(12)
                          .embed_dim(16)
                          .depths({2, 2, 4, 2})
                          .num_heads({1, 2, 4, 8})
                          .num_classes(10)
                          .drop_path_rate(0.0)}};
}

std::map<std::string, torch::Tensor> as_map(const focal::io::StateDict& entries) {
  return {entries.begin(), entries.end()};
}

double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

const std::filesystem::path& reference_dir() {
  // The script takes about a minute on 2 cores: run it once for the test cases of this process.
  static const std::filesystem::path dir = [] {
    auto python = focal::test::reference_python("torch, timm");
    if (!python) return std::filesystem::path();
    auto d = focal::test::temp_dir("swin_timm");
    const std::string script = std::string(FOCAL_SOURCE_DIR) + "/tests/swin/timm_reference.py";
    if (focal::test::run_command("\"" + *python + "\" \"" + script + "\" \"" + d.string() + "\"") != 0)
      return std::filesystem::path();
    return d;
  }();
  return dir;
}

// timm's weights (timm layout) against timm's stages, logits, loss, gradients and parameter count.
void check_timm_layout(const Variant& v, const std::filesystem::path& dir) {
  const std::string base = (dir / v.name).string();
  auto ref = as_map(focal::io::read_state_dict(base + ".io.pth"));
  focal::swin::SwinTransformer model(v.options);
  auto timm_weights = focal::io::read_state_dict(base + ".timm.pth");
  REQUIRE(focal::swin::is_timm_layout(timm_weights));
  auto report =
      focal::io::load_state_dict(*model, model->adapt_checkpoint(timm_weights), /*strict=*/true, base);
  CHECK(report.missing.empty());

  const auto input = ref.at("input");
  model->eval();
  {
    torch::NoGradGuard no_grad;
    auto f = model->forward_all(input, /*with_stages=*/true);
    REQUIRE(f.stage_maps.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
      INFO("stage " << i);
      const auto& expected = ref.at("stage_map" + std::to_string(i));  // (B, H, W, C)
      const auto mine = f.stage_maps[i].permute({0, 2, 3, 1});         // (B, H, W, C)
      REQUIRE(mine.sizes() == expected.sizes());
      CHECK(max_abs(mine, expected) <= 1e-4);
    }
    for (size_t i = 0; i < 4; ++i) {  // the release's stage outputs: blocks, then the closing merging
      INFO("release stage " << i);
      CHECK(max_abs(f.stages[i], ref.at("stage" + std::to_string(i))) <= 1e-4);
    }
    CHECK(max_abs(model->forward_head(f.pooled), ref.at("logits")) <= 1e-4);
  }

  model->train();
  auto loss = torch::nn::functional::cross_entropy(model->forward(input), ref.at("target"));
  CHECK(std::abs(loss.item<double>() - ref.at("loss").item<double>()) <= 1e-5);
  loss.backward();
  // timm's gradient names, renamed into ours the way the weights are.
  focal::io::StateDict timm_grads;
  for (const auto& [key, value] : ref)
    if (key.rfind("grad.", 0) == 0) timm_grads.emplace_back(key.substr(5), value);
  auto grads = as_map(focal::swin::release_layout_from_timm(timm_grads, *model));
  int64_t compared = 0;
  for (const auto& p : model->named_parameters()) {
    INFO("gradient of " << p.key());
    REQUIRE(grads.count(p.key()));
    REQUIRE(p.value().grad().defined());
    const auto& expected = grads.at(p.key());
    CHECK(max_abs(p.value().grad(), expected) <= 1e-4 * std::max(expected.abs().max().item<double>(), 1e-12));
    ++compared;
  }
  CHECK(compared == static_cast<int64_t>(timm_grads.size()));

  // Parameters: timm's count, our analytic count, our module.
  std::ifstream params_file(base + ".params.txt");
  int64_t timm_params = 0;
  REQUIRE(params_file >> timm_params);
  int64_t counted = 0;
  for (const auto& p : model->parameters()) counted += p.numel();
  CHECK(counted == timm_params);
  CHECK(focal::swin::swin_parameter_count(v.options) == timm_params);
}

// The same weights in the release layout: strict load, same geometry buffers, same logits, and the export
// back to timm's layout is timm's file.
void check_release_layout(const Variant& v, const std::filesystem::path& dir) {
  const std::string base = (dir / v.name).string();
  auto ref = as_map(focal::io::read_state_dict(base + ".io.pth"));
  // The release file: read through its `model` key, loaded strictly as it is (geometry buffers included,
  // computed by the script the Swin code base's way: they must equal ours).
  auto release = focal::io::read_state_dict(base + ".release.pth");
  REQUIRE_FALSE(focal::swin::is_timm_layout(release));
  focal::swin::SwinTransformer model(v.options);
  std::map<std::string, torch::Tensor> own;
  for (const auto& b : model->named_buffers()) own[b.key()] = b.value().clone();
  for (const auto& [key, value] : release) {
    if (own.count(key)) {
      INFO(key);
      CHECK(torch::equal(own.at(key), value.to(own.at(key).scalar_type())));
    }
  }
  focal::io::load_state_dict(*model, model->adapt_checkpoint(release), /*strict=*/true, base);
  model->eval();
  torch::NoGradGuard no_grad;
  CHECK(max_abs(model->forward(ref.at("input")), ref.at("logits")) <= 1e-4);
  // And back: our release-layout state dict written out in timm's layout is timm's file, name for name.
  auto exported = as_map(focal::swin::timm_layout_from_release(focal::io::module_state_dict(*model)));
  auto timm_weights = as_map(focal::io::read_state_dict(base + ".timm.pth"));
  CHECK(exported.size() == timm_weights.size());
  for (const auto& [key, value] : timm_weights) {
    INFO(key);
    REQUIRE(exported.count(key));
    CHECK(torch::equal(exported.at(key), value));
  }
}

// focal-verify on the reference: a YAML configuration of the variant, timm's and the release's weights pass;
// another variant's weights are refused.
void check_focal_verify(const std::filesystem::path& dir) {
  const auto yaml = dir / "w12_384.yaml";  // written by timm_reference.py with the variant
  REQUIRE(std::filesystem::exists(yaml));
  const std::string verify = std::string(FOCAL_BINARY_DIR) + "/bin/focal-verify";
  auto run = [&](const std::string& weights) {
    return focal::test::run_command("\"" + verify + "\" --config \"" + yaml.string() + "\" --checkpoint \"" +
                                    (dir / weights).string() + "\" --reference \"" +
                                    (dir / "w12_384.io.pth").string() + "\" > /dev/null 2>&1");
  };
  CHECK(run("w12_384.timm.pth") == 0);
  CHECK(run("w12_384.release.pth") == 0);
  CHECK(run("tiny.timm.pth") != 0);
}

}  // namespace

// One test case, so that the reference script (about a minute on 2 cores) runs once.
TEST_CASE("Swin matches timm's Swin in both weight layouts (stages, logits, loss, gradients)",
          "[swin][python][timm]") {
  if (!focal::test::reference_python("torch, timm")) FOCAL_SKIP_MISSING("no Python with torch and timm");
  const auto dir = reference_dir();
  REQUIRE(!dir.empty());
  for (const auto& v : variants()) {
    SECTION(std::string(v.name) + ", timm layout") { check_timm_layout(v, dir); }
    SECTION(std::string(v.name) + ", release layout") { check_release_layout(v, dir); }
  }
  SECTION("focal-verify") { check_focal_verify(dir); }
}
