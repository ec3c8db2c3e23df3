// torch.save files written by Python (zip and legacy): values, dtypes, views sharing storages, tensors saved
// from cuda:0, big-endian archives, parameters, conj/neg views, and objects the reader cannot construct.
#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include <filesystem>

#include "focal/io/checkpoint.h"
#include "focal/io/state_dict.h"
#include "tests/io/io_test_support.h"
#include "tests/support/test_env.h"

namespace fs = std::filesystem;

namespace {

void check_case(const fs::path& dir, const std::string& stem, bool with_manifest = true) {
  INFO("checkpoint " << stem);
  const auto value = focal::io::read_pickle_file((dir / (stem + ".pth")).string());
  CHECK(focal::test::canonical(value) == focal::test::read_file(dir / (stem + ".txt")));
  if (with_manifest) focal::test::check_manifest(value, dir / (stem + ".manifest"));
}

}  // namespace

TEST_CASE("zip and legacy checkpoints read with values, dtypes and shared storages", "[io][python]") {
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  for (const char* stem : {"views", "views_legacy", "dtypes", "dtypes_legacy", "nested", "nested_legacy"}) {
    check_case(*ref / "ckpt", stem);
  }
}

TEST_CASE("tensors saved from cuda:0 land on CPU", "[io][python]") {
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  check_case(*ref / "ckpt", "cuda");
  check_case(*ref / "ckpt", "cuda_legacy");
}

TEST_CASE("a big-endian archive from another zip writer is byte-swapped", "[io][python]") {
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  check_case(*ref / "ckpt", "big_endian", /*with_manifest=*/false);
}

TEST_CASE("views alias their base after loading", "[io][python]") {
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  for (const char* file : {"views.pth", "views_legacy.pth"}) {
    auto dict = focal::io::read_pickle_file((*ref / "ckpt" / file).string()).toGenericDict();
    at::Tensor base = dict.at("base").toTensor();
    at::Tensor block = dict.at("block").toTensor();
    base.fill_(-1);  // writes through the shared storage
    CHECK(block.eq(-1).all().item<bool>());
    CHECK(dict.at("transposed").toTensor().eq(-1).all().item<bool>());
  }
}

TEST_CASE("unconstructible objects in a checkpoint become dicts or placeholders", "[io][python]") {
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  for (const char* file : {"nested.pth", "nested_legacy.pth"}) {
    auto dict = focal::io::read_pickle_file((*ref / "ckpt" / file).string()).toGenericDict();
    auto args = dict.at("args").toGenericDict();  // argparse.Namespace -> its attributes
    CHECK(args.at("lr").toDouble() == 0.5);
    CHECK(args.at("model").toStringRef() == "focal_tiny");
    CHECK(dict.at("config").toGenericDict().at("TRAIN").toGenericDict().at("EPOCHS").toInt() == 300);
    CHECK(dict.at("scalar").toStringRef().rfind("<unsupported numpy", 0) == 0);
    CHECK(dict.at("dtype").toStringRef() == "torch.bfloat16");
    auto state = dict.at("optimizer").toGenericDict().at("state").toGenericDict();
    CHECK(state.keyType()->kind() == c10::TypeKind::IntType);  // optimizer state keeps its int keys
  }
}

TEST_CASE("state dicts nested under model / state_dict_ema lose their module. prefix", "[io][python]") {
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  const auto path = (*ref / "ckpt" / "nested.pth").string();
  auto sd = focal::io::read_state_dict(path);
  REQUIRE(sd.size() == 3);
  CHECK(sd[0].first == "fc.weight");
  CHECK(sd[1].first == "fc.bias");
  CHECK(sd[2].first == "bn.running_mean");
  const auto root = focal::io::read_pickle_file(path);
  CHECK(focal::test::checksum(sd[0].second) ==
        focal::test::checksum(focal::test::value_at(root, "model/module.fc.weight").toTensor()));
  auto ema = focal::io::read_state_dict(path, "state_dict_ema");
  REQUIRE(ema.size() == 2);
  CHECK(ema[0].first == "fc.weight");
  CHECK(focal::test::checksum(ema[0].second) ==
        focal::test::checksum(focal::test::value_at(root, "state_dict_ema/fc.weight").toTensor()));
  CHECK_THROWS_WITH(focal::io::read_state_dict(path, "model_ema"), Catch::Contains(path) &&
                                                                       Catch::Contains("'model_ema'") &&
                                                                       Catch::Contains("state_dict_ema"));
}
