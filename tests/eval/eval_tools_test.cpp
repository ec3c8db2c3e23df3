// The tools' library: argument parsing errors and verification verdicts.
#include "eval/arg_parser.h"
#include "eval/verify.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

namespace {

focal::eval::ArgParser make_parser() {
  focal::eval::ArgParser p("tool", "test");
  p.option("size", "a number", "3").flag("json", "a switch");
  return p;
}

int parse(focal::eval::ArgParser& p, std::vector<std::string> args) {
  std::vector<char*> argv{const_cast<char*>("tool")};
  for (auto& a : args) argv.push_back(a.data());
  return p.parse(static_cast<int>(argv.size()), argv.data());
}

focal::FocalTransformerOptions tiny() {
  return focal::FocalTransformerOptions()
      .img_size(32)
      .num_classes(3)
      .embed_dim(8)
      .depths({1, 1})
      .num_heads({1, 2})
      .window_size(4)
      .focal_levels({2, 2})
      .focal_windows({3, 1})
      .expand_sizes({1, 1})
      .focal_stages({0, 1})
      .drop_path_rate(0.0);
}

}  // namespace

TEST_CASE("argument parser", "[eval]") {
  auto p = make_parser();
  CHECK(parse(p, {"--size", "5", "--json"}));
  CHECK(p.get_int("size") == 5);
  CHECK(p.has("json"));
  auto q = make_parser();
  CHECK(parse(q, {"--size=7"}));
  CHECK(q.get_int("size") == 7);
  auto r = make_parser();
  CHECK_THROWS_WITH(parse(r, {"--colour", "red"}), Catch::Contains("unknown option '--colour'"));
  auto s = make_parser();
  CHECK_THROWS_WITH(parse(s, {"--size"}), Catch::Contains("needs a value"));
  auto t = make_parser();
  parse(t, {"--size", "big"});
  CHECK_THROWS_WITH(t.get_int("size"), Catch::Contains("expects an integer"));
}

TEST_CASE("verify passes a model against its own outputs and fails a perturbed one", "[eval]") {
  torch::manual_seed(0);
  focal::FocalTransformer model(tiny());
  std::map<std::string, torch::Tensor> reference;
  reference["input"] = torch::randn({2, 3, 32, 32});
  reference["target"] = torch::tensor({0, 2});
  {
    model->eval();
    torch::NoGradGuard no_grad;
    auto features = model->forward_all(reference["input"], true);
    for (size_t i = 0; i < features.stages.size(); ++i)
      reference["stage" + std::to_string(i)] = features.stages[i];
    reference["logits"] = model->head->forward(features.pooled);
  }
  model->train();
  auto loss = torch::nn::functional::cross_entropy(model->forward(reference["input"]), reference["target"]);
  loss.backward();
  reference["loss"] = loss.detach();
  for (const auto& p : model->named_parameters()) reference["grad." + p.key()] = p.value().grad().clone();
  model->zero_grad();

  auto ok = focal::eval::verify_focal(model, reference, torch::kCPU);
  CHECK(ok.passed());
  CHECK(ok.rows.size() == 2 + 2 + model->parameters().size());  // stages, logits, loss, gradients

  {
    torch::NoGradGuard no_grad;
    model->head->bias.add_(1e-2);
  }
  auto bad = focal::eval::verify_focal(model, reference, torch::kCPU);
  CHECK_FALSE(bad.passed());
  reference.erase("input");
  CHECK_FALSE(focal::eval::verify_focal(model, reference, torch::kCPU).passed());
}
