// Parity with timm's halonet_h1: same weights (timm's state dict loaded by name), same output.
#include "focal/halonet/halonet_complexity.h"
#include "focal/halonet/halonet_zoo.h"
#include "focal/halonet/timm_weights.h"
#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fstream>

using namespace focal::halonet;

namespace {

torch::Tensor find(const focal::io::StateDict& dict, const std::string& key) {
  for (const auto& [name, tensor] : dict)
    if (name == key) return tensor;
  FAIL("missing entry " << key);
  return {};
}

}  // namespace

TEST_CASE("halonet_h1 reproduces timm's output with timm's weights", "[halonet][python][timm]") {
  auto python = focal::test::reference_python("torch, timm");
  if (!python) FOCAL_SKIP_MISSING("no Python with torch and timm");
  const auto dir = focal::test::temp_dir("halonet_timm");
  const std::string script = std::string(FOCAL_SOURCE_DIR) + "/tests/halonet/timm_reference.py";
  REQUIRE(focal::test::run_command("\"" + *python + "\" \"" + script + "\" \"" + dir.string() + "\"") == 0);

  auto model = create_halonet("halonet_h1", 1000);
  // Every timm tensor (parameters and BN buffers) must land on a tensor of ours: strict load.
  auto report = load_timm_halonet(*model, (dir / "weights.pth").string(), /*strict=*/true);
  CHECK(report.ok());
  model->eval();

  auto io = focal::io::read_state_dict((dir / "io.pth").string());
  auto input = find(io, "input");
  torch::NoGradGuard no_grad;
  auto features = model->forward_features(input);
  auto logits = model->head(features);
  const double feature_diff = (features - find(io, "features")).abs().max().item<double>();
  const double logit_diff = (logits - find(io, "logits")).abs().max().item<double>();
  INFO("max |features diff| " << feature_diff << ", max |logits diff| " << logit_diff << ", logits scale "
                              << find(io, "logits").abs().max().item<double>());
  CHECK(feature_diff <= 1e-4);
  CHECK(logit_diff <= 1e-4);

  // MACs: torch's flop counter on timm's model (FLOPs / 2) against our analytic count.
  std::ifstream macs_file(dir / "macs.txt");
  int64_t timm_macs = 0;
  REQUIRE(macs_file >> timm_macs);
  CHECK(halonet_macs(halonet_options("halonet_h1")) == timm_macs);
}

TEST_CASE("timm key remapping rejects non-HaloNet timm checkpoints", "[halonet][timm]") {
  focal::io::StateDict foreign{{"stages.0.0.conv2_kxk.conv.weight", torch::zeros({1})}};
  CHECK_THROWS_WITH(remap_timm_halonet_state_dict(foreign),
                    Catch::Contains("stages.0.0.conv2_kxk.conv.weight"));
  focal::io::StateDict ours{{"stages.0.0.self_attn.kv.weight", torch::ones({2})}};
  auto mapped = remap_timm_halonet_state_dict(ours);
  REQUIRE(mapped.size() == 1);
  CHECK(mapped[0].first == "stages.0.0.self_attn.kv.weight");
}

TEST_CASE("our parameter names are timm's for halonet_h1", "[halonet][timm]") {
  auto model = create_halonet("halonet_h1", 1000);
  auto params = model->named_parameters();
  for (const char* key :
       {"stem.conv1.conv.weight", "stem.conv1.bn.bias", "stages.0.0.conv1_1x1.conv.weight",
        "stages.0.0.self_attn.q.weight", "stages.0.0.self_attn.kv.weight",
        "stages.0.0.self_attn.pos_embed.height_rel", "stages.0.0.self_attn.pos_embed.width_rel",
        "stages.0.0.post_attn.weight", "stages.0.0.conv3_1x1.bn.weight", "stages.1.0.shortcut.conv.weight",
        "stages.2.9.self_attn.kv.weight", "head.fc.weight"}) {
    CHECK(params.contains(key));
  }
  CHECK(model->named_buffers().contains("stages.3.2.post_attn.num_batches_tracked"));
  CHECK_FALSE(params.contains("stages.0.0.shortcut.conv.weight"));
  CHECK(params["stages.1.0.self_attn.pos_embed.height_rel"].sizes() == torch::IntArrayRef{27, 16});
  CHECK(params["stages.1.0.self_attn.kv.weight"].sizes() == torch::IntArrayRef{256, 128, 1, 1});
}
