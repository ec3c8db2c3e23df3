// State-dict helpers: picking the weights out of a checkpoint, and loading them into a LibTorch module with
// a report of missing, unexpected and mismatched names.
#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include "focal/io/checkpoint.h"
#include "focal/io/checkpoint_writer.h"
#include "focal/io/state_dict.h"
#include "tests/io/io_test_support.h"
#include "tests/support/test_env.h"

namespace {

// fc (Linear 3->2) and bn (BatchNorm1d over 2): parameters fc.weight, fc.bias, bn.weight, bn.bias; buffers
// bn.running_mean, bn.running_var, bn.num_batches_tracked.
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl() {
    fc = register_module("fc", torch::nn::Linear(3, 2));
    bn = register_module("bn", torch::nn::BatchNorm1d(2));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(TinyNet);

c10::impl::GenericDict tensor_dict(const std::vector<std::pair<std::string, at::Tensor>>& entries) {
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  for (const auto& [k, v] : entries) d.insert(k, v);
  return d;
}

}  // namespace

TEST_CASE("module_state_dict lists parameters, then buffers, by dotted name", "[io][state_dict]") {
  TinyNet net;
  std::vector<std::string> names;
  for (const auto& [name, tensor] : focal::io::module_state_dict(*net)) names.push_back(name);
  CHECK(names == std::vector<std::string>{"fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean",
                                          "bn.running_var", "bn.num_batches_tracked"});
}

TEST_CASE("extract_state_dict chooses the nested dict and strips module.", "[io][state_dict]") {
  auto a = torch::ones({2});
  auto b = torch::zeros({3});
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("state_dict_ema", tensor_dict({{"module.x", b}}));
  root.insert("model", tensor_dict({{"module.x", a}, {"y", b}}));
  root.insert("epoch", int64_t{4});
  auto sd = focal::io::extract_state_dict(root, "ckpt.pth");
  REQUIRE(sd.size() == 2);
  CHECK(sd[0].first == "x");
  CHECK(sd[0].second.is_same(a));
  CHECK(sd[1].first == "y");
  auto ema = focal::io::extract_state_dict(root, "ckpt.pth", "state_dict_ema");
  REQUIRE(ema.size() == 1);
  CHECK(ema[0].second.is_same(b));
  CHECK_THROWS_WITH(focal::io::extract_state_dict(root, "ckpt.pth", "model_ema"),
                    Catch::Contains("ckpt.pth") && Catch::Contains("model_ema"));

  // A bare state dict; non-tensor entries are skipped.
  auto bare = tensor_dict({{"module.layer.weight", a}});
  bare.insert("note", std::string("x"));
  auto bare_sd = focal::io::extract_state_dict(bare, "bare.pth");
  REQUIRE(bare_sd.size() == 1);
  CHECK(bare_sd[0].first == "layer.weight");

  CHECK_THROWS_WITH(focal::io::extract_state_dict(c10::IValue(int64_t{3}), "int.pth"),
                    Catch::Contains("int.pth"));
  c10::impl::GenericDict no_tensors(c10::StringType::get(), c10::AnyType::get());
  no_tensors.insert("epoch", int64_t{1});
  CHECK_THROWS_WITH(focal::io::extract_state_dict(no_tensors, "meta.pth"),
                    Catch::Contains("meta.pth") && Catch::Contains("epoch"));
  auto twice = tensor_dict({{"module.x", a}, {"x", b}});
  CHECK_THROWS_WITH(focal::io::extract_state_dict(twice, "twice.pth"), Catch::Contains("'x'"));
}

TEST_CASE("load_state_dict reports missing, unexpected and mismatched names", "[io][state_dict]") {
  TinyNet net;
  const auto before_bias = net->fc->bias.clone();
  const auto before_var = net->bn->running_var.clone();
  auto weight = torch::arange(6, torch::kDouble).reshape({2, 3});  // float64 into float32 parameters
  focal::io::StateDict sd{{"fc.weight", weight},
                          {"fc.bias", torch::ones({3})},  // wrong shape
                          {"bn.weight", torch::full({2}, 2.0)},
                          {"bn.bias", torch::full({2}, -1.0)},
                          {"bn.running_mean", torch::full({2}, 0.5)},
                          {"bn.num_batches_tracked", torch::tensor(9)},
                          {"head.weight", torch::ones({1})}};  // not in the model; bn.running_var missing

  SECTION("strict: throws naming every problem, copies nothing") {
    try {
      focal::io::load_state_dict(*net, sd, /*strict=*/true, "tiny.pth");
      FAIL("no exception");
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Catch::Contains("tiny.pth") && Catch::Contains("bn.running_var") &&
                           Catch::Contains("head.weight") &&
                           Catch::Contains("fc.bias: checkpoint [3] vs model [2]"));
    }
    CHECK_FALSE(torch::equal(net->fc->weight, weight.to(torch::kFloat)));
  }
  SECTION("non-strict: loads what matches and reports the rest") {
    auto report = focal::io::load_state_dict(*net, sd, /*strict=*/false, "tiny.pth");
    CHECK_FALSE(report.ok());
    CHECK(report.loaded == std::vector<std::string>{"fc.weight", "bn.weight", "bn.bias", "bn.running_mean",
                                                    "bn.num_batches_tracked"});
    CHECK(report.missing == std::vector<std::string>{"bn.running_var"});
    CHECK(report.unexpected == std::vector<std::string>{"head.weight"});
    CHECK(report.mismatched == std::vector<std::string>{"fc.bias: checkpoint [3] vs model [2]"});
    CHECK_THAT(report.summary(), Catch::Contains("5 loaded") && Catch::Contains("1 missing: bn.running_var"));
    CHECK(net->fc->weight.scalar_type() == torch::kFloat);
    CHECK(torch::equal(net->fc->weight, weight.to(torch::kFloat)));
    CHECK(torch::equal(net->fc->bias, before_bias));
    CHECK(torch::equal(net->bn->running_var, before_var));
    CHECK(net->bn->num_batches_tracked.item<int64_t>() == 9);
    CHECK(net->bn->running_mean.eq(0.5).all().item<bool>());
    CHECK(net->fc->weight.requires_grad());  // still a trainable parameter
  }
}

TEST_CASE("a module saved with save_state_dict loads strictly into a fresh one", "[io][state_dict]") {
  auto dir = focal::test::temp_dir("io_state_dict");
  TinyNet source;
  torch::NoGradGuard no_grad;
  source->bn->running_mean.uniform_();
  source->bn->num_batches_tracked.fill_(5);
  const auto path = (dir / "tiny.pth").string();
  focal::io::save_state_dict(path, focal::io::module_state_dict(*source));
  TinyNet target;
  auto report = focal::io::load_state_dict(*target, focal::io::read_state_dict(path), /*strict=*/true, path);
  CHECK(report.ok());
  CHECK(report.loaded.size() == 7);
  CHECK(torch::equal(target->fc->weight, source->fc->weight));
  CHECK(torch::equal(target->bn->running_mean, source->bn->running_mean));
  CHECK(target->bn->num_batches_tracked.item<int64_t>() == 5);
}
