#include "tests/model/fixture_reference.h"

#include "focal/config/focal_options.h"
#include "focal/io/checkpoint.h"
#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"

namespace focal::test {

FixtureReference load_fixture(const std::string& name) {
  const auto dir = fixtures_dir();
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

FocalTransformer load_fixture_model(const std::string& name, const FocalTransformerOptions& options) {
  FocalTransformer model(options);
  const std::string path = (fixtures_dir() / (name + ".pth")).string();
  io::load_state_dict(*model, io::read_state_dict(path), /*strict=*/true, path);
  return model;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace focal::test
