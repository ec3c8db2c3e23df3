#pragma once
// Loads one golden fixture of the original implementation: constructor arguments, weights and the
// reference tensors (`NAME.json`, `NAME.pth`, `NAME.io.pth` in ../shared/fixtures/focal).
#include "focal/focal_v1/focal_transformer.h"

#include <torch/torch.h>

#include <map>
#include <string>

namespace focal::test {

struct FixtureReference {
  FocalTransformerOptions options;
  std::map<std::string, torch::Tensor> tensors;  // the .io.pth dict
  int64_t expected_params = 0;
  double expected_macs = 0;
};

FixtureReference load_fixture(const std::string& name);
// A model built from the fixture's arguments with the fixture's weights loaded strictly.
FocalTransformer load_fixture_model(const std::string& name, const FocalTransformerOptions& options);
// max |a - b|
double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace focal::test
