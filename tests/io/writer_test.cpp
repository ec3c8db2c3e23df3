// The writer: files that Python's restricted torch.load(weights_only=True) opens with the values, dtypes,
// views and nesting the C++ side saved; round trips through the reader; atomic replacement; clear errors.
#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "focal/io/atomic_write.h"
#include "focal/io/checkpoint.h"
#include "focal/io/checkpoint_writer.h"
#include "tests/io/io_test_support.h"
#include "tests/support/test_env.h"

namespace fs = std::filesystem;

namespace {

c10::IValue sample_value() {
  auto g = at::detail::createCPUGenerator(7);
  auto w = torch::randn({4, 5}, g);
  c10::impl::GenericDict model(c10::StringType::get(), c10::AnyType::get());
  model.insert("w", w);
  model.insert("w.block", w.slice(0, 1, 3).slice(1, 2, 5));  // a view with offset and strides
  model.insert("w.t", w.t());
  model.insert("bf16", torch::randn({3}, g).to(torch::kBFloat16));
  model.insert("half", torch::randn({2, 2}, g).to(torch::kHalf));
  model.insert("f64", torch::randn({2}, g).to(torch::kDouble));
  model.insert("i64", torch::tensor({int64_t{-5}, int64_t{1} << 40}, torch::kLong));
  model.insert("i32", torch::tensor({7, -7}, torch::kInt));
  model.insert("i8", torch::tensor({-128, 127}, torch::kChar));
  model.insert("u8", torch::tensor({0, 255}, torch::kByte));
  model.insert("bool", torch::tensor({true, false}));
  model.insert("u16", torch::tensor({1, 40000}, torch::kInt).to(torch::kUInt16));
  model.insert("complex", torch::randn({2}, torch::TensorOptions().dtype(torch::kComplexFloat)));
  model.insert("scalar", torch::tensor(3.5));
  model.insert("empty", torch::zeros({0, 3}));
  c10::impl::GenericDict state(c10::IntType::get(), c10::AnyType::get());
  state.insert(0, torch::ones({2}));
  state.insert(3, c10::IValue(std::string("three")));
  c10::impl::GenericList flags(c10::AnyType::get());
  flags.push_back(true);
  flags.push_back(false);
  flags.push_back(c10::IValue());
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("model", model);
  root.insert("state", state);
  root.insert("epoch", int64_t{3});
  root.insert("big", int64_t{1} << 40);
  root.insert("negative", int64_t{-100000});
  root.insert("lr", 2.5e-4);
  root.insert("name", std::string("focal \xe2\x9c\x93"));
  root.insert("flags", flags);
  root.insert("tuple", c10::ivalue::Tuple::create(
                           {c10::IValue(int64_t{1}), c10::IValue(2.5), c10::IValue(std::string("x"))}));
  root.insert("complex_number", c10::complex<double>(1.5, -2.0));
  return root;
}

// What the writer saved and what Python's loader made of it: one Python run serves both tests below.
struct PythonView {
  c10::IValue value;
  torch::nn::Linear linear{3, 2};
  fs::path dir;
  bool ok = false;
};

const PythonView& python_view() {
  static const PythonView view = [] {
    PythonView v;
    v.value = sample_value();
    v.dir = focal::test::temp_dir("io_writer");
    focal::io::save_pickle_file((v.dir / "saved.pth").string(), v.value);
    focal::io::save_state_dict((v.dir / "sd.pth").string(), focal::io::module_state_dict(*v.linear));
    auto arg = [&](const char* name) { return "\"" + (v.dir / name).string() + "\" "; };
    v.ok = focal::test::run_python_script("check_written.py", arg("saved.pth") + arg("seen_saved") +
                                                                  arg("sd.pth") + arg("seen_sd")) == 0;
    return v;
  }();
  return view;
}

}  // namespace

TEST_CASE("Python's weights_only loader opens what the writer saved", "[io][writer][python]") {
  if (!focal::test::python()) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  const auto& view = python_view();
  REQUIRE(view.ok);
  CHECK(focal::test::read_file(view.dir / "seen_saved.txt") == focal::test::canonical(view.value));
  // Python sees the views with the offsets/strides saved, sharing one storage.
  std::map<std::string, focal::test::ManifestRow> by_path;
  for (const auto& r : focal::test::read_manifest(view.dir / "seen_saved.manifest")) by_path[r.path] = r;
  const auto block = view.value.toGenericDict().at("model").toGenericDict().at("w.block").toTensor();
  CHECK(by_path.at("model/w.block").offset == block.storage_offset());
  CHECK(by_path.at("model/w.block").stride == block.strides().vec());
  CHECK(by_path.at("model/w.block").group == by_path.at("model/w").group);
  CHECK(by_path.at("model/w.t").group == by_path.at("model/w").group);
  CHECK(by_path.at("model/bf16").group != by_path.at("model/w").group);
}

TEST_CASE("save_state_dict writes {'model': state dict} that Python loads", "[io][writer][python]") {
  if (!focal::test::python()) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  const auto& view = python_view();
  REQUIRE(view.ok);
  const auto rows = focal::test::read_manifest(view.dir / "seen_sd.manifest");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].path == "model/weight");
  CHECK(rows[0].checksum == focal::test::checksum(view.linear->weight));
  CHECK(rows[1].path == "model/bias");
  CHECK(rows[1].checksum == focal::test::checksum(view.linear->bias));
}

TEST_CASE("written checkpoints read back equal, views still aliased", "[io][writer]") {
  auto dir = focal::test::temp_dir("io_roundtrip");
  const auto value = sample_value();
  const auto path = (dir / "roundtrip.pth").string();
  focal::io::save_pickle_file(path, value);
  const auto back = focal::io::read_pickle_file(path);
  CHECK(focal::test::canonical(back) == focal::test::canonical(value));
  auto model = back.toGenericDict().at("model").toGenericDict();
  auto w = model.at("w").toTensor();
  w.fill_(0);
  CHECK(model.at("w.block").toTensor().eq(0).all().item<bool>());
  CHECK(model.at("w.t").toTensor().eq(0).all().item<bool>());
  CHECK_FALSE(fs::exists(focal::io::temporary_sibling(path)));
}

TEST_CASE("a write replaces the old file atomically and reports failures", "[io][writer]") {
  auto dir = focal::test::temp_dir("io_writer_errors");
  const auto path = (dir / "ckpt.pth").string();
  focal::io::save_pickle_file(path, c10::IValue(int64_t{1}));
  focal::io::save_pickle_file(path, c10::IValue(int64_t{2}));
  CHECK(focal::io::read_pickle_file(path).toInt() == 2);
  CHECK_FALSE(fs::exists(focal::io::temporary_sibling(path)));

  const auto nowhere = (dir / "no" / "such" / "dir" / "x.pth").string();
  CHECK_THROWS_WITH(focal::io::save_pickle_file(nowhere, c10::IValue(int64_t{1})), Catch::Contains(nowhere));

  c10::impl::GenericDict model(c10::StringType::get(), c10::AnyType::get());
  model.insert("sparse", torch::eye(3).to_sparse());
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("model", model);
  CHECK_THROWS_WITH(focal::io::save_pickle_file(path, root),
                    Catch::Contains(path) && Catch::Contains("['model']['sparse']"));
  CHECK_THROWS_WITH(focal::io::save_pickle_file(path, c10::IValue(std::string("\xff\xfe"))),
                    Catch::Contains("UTF-8"));
  CHECK(focal::io::read_pickle_file(path).toInt() == 2);  // failed saves left the old file alone
}
