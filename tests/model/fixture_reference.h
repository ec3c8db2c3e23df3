#pragma once
// Loads one golden fixture of the original implementation: constructor arguments, weights and the
// reference tensors (`NAME.json`, `NAME.pth`, `NAME.io.pth` in ../shared/fixtures/focal).
#include "focal/focal_v1/focal_transformer.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

namespace focal::test {

struct FixtureReference {
  FocalTransformerOptions options;
  std::map<std::string, torch::Tensor> tensors;  // the .io.pth dict
  int64_t expected_params = 0;
  double expected_macs = 0;
};

// `dir` defaults to fixtures_dir() (../shared/fixtures/focal); the v2 fixtures are in focalv2_fixtures_dir().
FixtureReference load_fixture(const std::string& name, const std::filesystem::path& dir = {});
// A model built from the fixture's arguments with the fixture's weights loaded strictly.
FocalTransformer load_fixture_model(const std::string& name, const FocalTransformerOptions& options,
                                    const std::filesystem::path& dir = {});
// ../shared/fixtures/focalv2: the sibling of fixtures_dir().
std::filesystem::path focalv2_fixtures_dir();
// Catch checks of one fixture on `device`: patch embedding, stages and logits (eval), loss and the gradient
// of every parameter (train, drop path 0), within the fixtures' float32 tolerances.
void check_fixture_parity(const std::string& name, const std::filesystem::path& dir,
                          const torch::Device& device);
// The parameters of a model built from `options`, counted tensor by tensor.
int64_t built_parameter_count(const FocalTransformerOptions& options);
// Catch checks of the fixture's counts: the built model's parameters, focal_parameter_count and
// focal_macs_exact equal the original's figures recorded in the fixture.
void check_fixture_counts(const FixtureReference& ref);
// max |a - b|
double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace focal::test
