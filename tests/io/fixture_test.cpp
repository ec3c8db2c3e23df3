// The golden checkpoints of the original implementation: every fixture file as Python's torch.load sees
// it, and the three formats of focal_micro_224 (zip, legacy, training checkpoint) holding the same weights.
#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include <filesystem>

#include "focal/io/checkpoint.h"
#include "focal/io/state_dict.h"
#include "tests/io/io_test_support.h"
#include "tests/support/test_env.h"

namespace fs = std::filesystem;

TEST_CASE("every fixture checkpoint reads as Python reads it", "[io][fixtures][python]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures missing: " + focal::test::fixtures_dir().string());
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(focal::test::fixtures_dir())) {
    if (entry.path().extension() != ".pth") continue;
    const std::string name = entry.path().filename().string();
    INFO("fixture " << name);
    const auto value = focal::io::read_pickle_file(entry.path().string());
    CHECK(focal::test::canonical(value) == focal::test::read_file(*ref / "fixtures" / (name + ".txt")));
    focal::test::check_manifest(value, *ref / "fixtures" / (name + ".manifest"));
    ++files;
  }
  CHECK(files >= 3);
}

TEST_CASE("zip and legacy checkpoints of focal_micro_224 hold identical weights", "[io][fixtures]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures missing: " + focal::test::fixtures_dir().string());
  const auto dir = focal::test::fixtures_dir();
  const auto zip = focal::io::read_state_dict((dir / "focal_micro_224.pth").string());
  const auto legacy = focal::io::read_state_dict((dir / "focal_micro_224.legacy.pth").string());
  REQUIRE(zip.size() > 50);
  REQUIRE(legacy.size() == zip.size());
  for (size_t i = 0; i < zip.size(); ++i) {
    INFO("entry " << zip[i].first);
    CHECK(legacy[i].first == zip[i].first);
    CHECK(legacy[i].second.scalar_type() == zip[i].second.scalar_type());
    CHECK(torch::equal(legacy[i].second, zip[i].second));
  }
}

// The fixture README calls the training checkpoint's weights the same as focal_micro_224.pth; they are in
// fact those weights after the one AdamW step whose state the checkpoint holds. Checked with AdamW's update
// rule:
//   p1 = p0 * (1 - lr * wd) - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 -
//   b2^t)
TEST_CASE("the training checkpoint holds focal_micro_224 after its one AdamW step", "[io][fixtures]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures missing: " + focal::test::fixtures_dir().string());
  const auto dir = focal::test::fixtures_dir();
  const auto before = focal::io::read_state_dict((dir / "focal_micro_224.pth").string());
  const auto root = focal::io::read_pickle_file((dir / "focal_micro_224.train_ckpt.pth").string());
  const auto after = focal::io::extract_state_dict(root, "train_ckpt");
  const auto optimizer = root.toGenericDict().at("optimizer").toGenericDict();
  const auto state = optimizer.at("state").toGenericDict();
  const auto group = optimizer.at("param_groups").toListRef().at(0).toGenericDict();
  const double lr = group.at("lr").toDouble();
  const double wd = group.at("weight_decay").toDouble();
  const double eps = group.at("eps").toDouble();
  const auto betas = group.at("betas").toTupleRef().elements();
  const double b1 = betas.at(0).toDouble();
  const double b2 = betas.at(1).toDouble();
  REQUIRE(after.size() == before.size());
  int64_t parameter = 0;  // optimizer state index: the floating-point entries, in order, are the parameters
  for (size_t i = 0; i < before.size(); ++i) {
    INFO("entry " << before[i].first);
    REQUIRE(after[i].first == before[i].first);
    const at::Tensor& p0 = before[i].second;
    const at::Tensor& p1 = after[i].second;
    REQUIRE(p1.sizes() == p0.sizes());
    if (!p0.is_floating_point()) {
      CHECK(torch::equal(p1, p0));  // buffers are untouched
      continue;
    }
    auto s = state.at(parameter++).toGenericDict();
    const double t = s.at("step").toTensor().item<double>();
    auto m_hat = s.at("exp_avg").toTensor().to(torch::kDouble) / (1 - std::pow(b1, t));
    auto v_hat = s.at("exp_avg_sq").toTensor().to(torch::kDouble) / (1 - std::pow(b2, t));
    auto expected = p0.to(torch::kDouble) * (1 - lr * wd) - lr * m_hat / (v_hat.sqrt() + eps);
    CHECK((expected - p1.to(torch::kDouble)).abs().max().item<double>() < 1e-6);
    CHECK_FALSE(torch::equal(p1, p0));
  }
  CHECK(parameter == static_cast<int64_t>(state.size()));
}

TEST_CASE("the training checkpoint's yacs config and optimizer state are readable", "[io][fixtures]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures missing: " + focal::test::fixtures_dir().string());
  const auto root =
      focal::io::read_pickle_file((focal::test::fixtures_dir() / "focal_micro_224.train_ckpt.pth").string());
  auto dict = root.toGenericDict();
  for (const char* key : {"model", "optimizer", "lr_scheduler", "max_accuracy", "epoch", "config"}) {
    CHECK(dict.contains(key));
  }
  // The CfgNode (a dict subclass the reader cannot construct) arrives as nested dicts.
  REQUIRE(dict.at("config").isGenericDict());
  auto model = dict.at("config").toGenericDict().at("MODEL");
  REQUIRE(model.isGenericDict());
  CHECK(model.toGenericDict().at("NAME").isString());
  auto optimizer = dict.at("optimizer").toGenericDict();
  CHECK(optimizer.at("param_groups").isList());
  CHECK(optimizer.at("state").toGenericDict().keyType()->kind() == c10::TypeKind::IntType);
}
