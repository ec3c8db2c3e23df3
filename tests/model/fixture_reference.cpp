#include "tests/model/fixture_reference.h"

#include "focal/config/focal_options.h"
#include "focal/focal_v1/focal_complexity.h"
#include "focal/io/checkpoint.h"
#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>

namespace focal::test {

std::filesystem::path focalv2_fixtures_dir() { return fixtures_dir().parent_path() / "focalv2"; }

FixtureReference load_fixture(const std::string& name, const std::filesystem::path& folder) {
  const auto dir = folder.empty() ? fixtures_dir() : folder;
  FixtureReference ref;
  const std::string json = (dir / (name + ".json")).string();
  ref.options = focal_options_from_json(json);
  ref.expected_params = json_expected_params(json);
  ref.expected_macs = json_expected_macs(json);
  auto root = io::read_pickle_file((dir / (name + ".io.pth")).string());
  for (const auto& entry : root.toGenericDict()) {
    ref.tensors[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return ref;
}

FocalTransformer load_fixture_model(const std::string& name, const FocalTransformerOptions& options,
                                    const std::filesystem::path& folder) {
  FocalTransformer model(options);
  const std::string path = ((folder.empty() ? fixtures_dir() : folder) / (name + ".pth")).string();
  io::load_state_dict(*model, io::read_state_dict(path), /*strict=*/true, path);
  return model;
}

void check_fixture_parity(const std::string& name, const std::filesystem::path& dir,
                          const torch::Device& device) {
  auto ref = load_fixture(name, dir);
  auto model = load_fixture_model(name, ref.options, dir);
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

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

int64_t built_parameter_count(const FocalTransformerOptions& options) {
  FocalTransformer model(options);
  int64_t counted = 0;
  for (const auto& p : model->parameters()) counted += p.numel();
  return counted;
}

void check_fixture_counts(const FixtureReference& ref) {
  CHECK(built_parameter_count(ref.options) == ref.expected_params);
  CHECK(focal::focal_parameter_count(ref.options) == ref.expected_params);
  CHECK(focal::focal_macs_exact(ref.options) == Approx(ref.expected_macs).epsilon(1e-12));
}

}  // namespace focal::test
