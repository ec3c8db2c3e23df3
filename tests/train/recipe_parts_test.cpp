// Parameter groups of the optimizer, the EMA update, the fp16 loss scaler, the loss functions and top-k
// accuracy, each against values computed here from their definitions.
#include "train/metrics.h"
#include "train/recipe/criterion.h"
#include "train/recipe/grad_norm.h"
#include "train/recipe/grad_scaler.h"
#include "train/recipe/model_ema.h"
#include "train/recipe/optimizer_factory.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace focal::train;

namespace {

// A stand-in with the kinds of parameters a Focal model has: matrices, biases, norm weights, a
// relative-position table (2-D, exempt by keyword) and an absolute position embedding (3-D, exempt by name).
struct AttnImpl : torch::nn::Module {
  AttnImpl() {
    table = register_parameter("relative_position_bias_table", torch::randn({9, 2}));
    table_to_windows = register_parameter("relative_position_bias_table_to_windows_0", torch::randn({2, 9}));
  }
  torch::Tensor table, table_to_windows;
};
TORCH_MODULE(Attn);

struct StandInImpl : torch::nn::Module {
  StandInImpl() {
    attn = register_module("attn", Attn());
    table = attn->table;
    table_to_windows = attn->table_to_windows;
    fc = register_module("fc", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})));
    pos = register_parameter("absolute_pos_embed", torch::randn({1, 4, 3}));
    frozen = register_parameter("frozen", torch::randn({3, 3}), /*requires_grad=*/false);
    register_buffer("index", torch::arange(4));
    register_buffer("running", torch::ones({3}));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  Attn attn{nullptr};
  torch::Tensor table, table_to_windows, pos, frozen;
};
TORCH_MODULE(StandIn);

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("weight decay groups follow the original set_weight_decay rules", "[train][optim]") {
  StandIn m;
  auto split = split_weight_decay(*m, {"absolute_pos_embed"}, {"relative_position_bias_table"});
  // Decayed: only the 2-D weight matrix of the linear layer.
  CHECK(split.decay_names == std::vector<std::string>{"fc.weight"});
  CHECK(contains(split.no_decay_names, "fc.bias"));
  CHECK(contains(split.no_decay_names, "norm.weight"));
  CHECK(contains(split.no_decay_names, "norm.bias"));
  CHECK(contains(split.no_decay_names, "attn.relative_position_bias_table"));
  CHECK(contains(split.no_decay_names, "attn.relative_position_bias_table_to_windows_0"));
  CHECK(contains(split.no_decay_names, "absolute_pos_embed"));
  CHECK_FALSE(contains(split.no_decay_names, "frozen"));
  CHECK_FALSE(contains(split.decay_names, "frozen"));
  // Without the model's lists, the table and the position embedding are decayed.
  auto plain = split_weight_decay(*m, {}, {});
  CHECK(contains(plain.decay_names, "attn.relative_position_bias_table"));
  CHECK(contains(plain.decay_names, "absolute_pos_embed"));

  auto opt = build_optimizer(OptimizerOptions().lr(1e-3).weight_decay(0.05), split);
  REQUIRE(opt->param_groups().size() == 2);
  const auto& g0 = static_cast<const torch::optim::AdamWOptions&>(opt->param_groups()[0].options());
  const auto& g1 = static_cast<const torch::optim::AdamWOptions&>(opt->param_groups()[1].options());
  CHECK(g0.weight_decay() == 0.05);
  CHECK(g1.weight_decay() == 0.0);
  CHECK(std::get<0>(g0.betas()) == 0.9);
  CHECK(std::get<1>(g0.betas()) == 0.999);
  CHECK(g0.eps() == 1e-8);
  CHECK_THROWS_WITH(build_optimizer(OptimizerOptions().name("lamb"), split), Catch::Contains("lamb"));
}

TEST_CASE("optimizer state survives a state_dict round trip", "[train][optim]") {
  torch::manual_seed(1);
  StandIn a;
  auto split = split_weight_decay(*a, {}, {"relative_position_bias_table"});
  auto opt = build_optimizer(OptimizerOptions().lr(1e-2), split);
  for (int i = 0; i < 3; ++i) {
    opt->zero_grad();
    auto y = a->fc(a->pos.transpose(1, 2)).sum() + a->table.pow(2).sum() + a->table_to_windows.sum() +
             a->norm->weight.sum();
    y.backward();
    opt->step();
  }
  auto state = optimizer_state_dict(*opt, OptimizerOptions());
  auto d = state.toGenericDict();
  auto groups = d.at("param_groups").toList();
  REQUIRE(groups.size() == 2);
  auto s0 = d.at("state").toGenericDict().at(0).toGenericDict();
  CHECK(s0.at("step").toTensor().item<double>() == 3.0);

  // A fresh optimizer over a copy of the parameters continues identically.
  StandIn b;
  {
    torch::NoGradGuard ng;
    for (auto& item : b->named_parameters()) item.value().copy_(a->named_parameters()[item.key()]);
  }
  auto split_b = split_weight_decay(*b, {}, {"relative_position_bias_table"});
  auto opt_b = build_optimizer(OptimizerOptions().lr(1.0), split_b);
  load_optimizer_state_dict(*opt_b, OptimizerOptions(), state);
  CHECK(opt_b->param_groups()[0].options().get_lr() == 1e-2);
  for (auto* pair : {&a, &b}) {
    auto& m = *pair;
    auto& o = (pair == &a) ? opt : opt_b;
    o->zero_grad();
    auto y = m->fc(m->pos.transpose(1, 2)).sum() + m->table.pow(2).sum() + m->table_to_windows.sum() +
             m->norm->weight.sum();
    y.backward();
    o->step();
  }
  for (auto& item : a->named_parameters()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), b->named_parameters()[item.key()]));
  }
}

TEST_CASE("EMA update is decay * ema + (1 - decay) * model", "[train][ema]") {
  torch::manual_seed(2);
  StandIn model;
  auto ema_module = StandIn();
  ModelEma ema(ema_module.ptr(), 0.9);
  ema.set(*model);
  CHECK(torch::equal(ema_module->fc->weight, model->fc->weight));
  CHECK_FALSE(ema_module->fc->weight.requires_grad());
  CHECK_FALSE(ema_module->is_training());

  auto before = ema_module->fc->weight.clone();
  {
    torch::NoGradGuard ng;
    model->fc->weight.add_(1.0);
    model->named_buffers()["running"].fill_(3.0);
    model->named_buffers()["index"].fill_(7);
  }
  ema.update(*model);
  // ema' = 0.9 ema + 0.1 (ema + 1) = ema + 0.1
  CHECK(torch::allclose(ema_module->fc->weight, before + 0.1, 1e-6, 1e-6));
  CHECK(torch::allclose(ema_module->named_buffers()["running"], torch::full({3}, 0.9 * 1.0 + 0.1 * 3.0)));
  // Integer buffers are copied, not averaged.
  CHECK(torch::equal(ema_module->named_buffers()["index"], torch::full({4}, 7, torch::kLong)));
  // Two more updates with the model fixed: the gap to the model shrinks by 0.9 each time.
  ema.update(*model);
  ema.update(*model);
  auto gap = (model->fc->weight - ema_module->fc->weight).abs().max().item<double>();
  CHECK(gap == Approx(0.9 * 0.9 * 0.9).epsilon(1e-5));
  CHECK_THROWS_WITH(ModelEma(StandIn().ptr(), 1.5), Catch::Contains("TRAIN.EMA.DECAY"));
}

TEST_CASE("fp16 loss scaler skips steps with non-finite gradients and adapts its scale", "[train][amp]") {
  auto w = torch::ones({3}, torch::requires_grad());
  torch::optim::SGD sgd({w}, torch::optim::SGDOptions(0.1));
  GradScaler scaler(GradScalerOptions().init_scale(1024.0).growth_interval(3));
  CHECK(scaler.scale(torch::tensor(2.0)).item<double>() == 2048.0);

  // An overflowing step: gradients hold inf, the step is skipped, the scale halves.
  w.mutable_grad() = torch::tensor({1.0f, std::numeric_limits<float>::infinity(), 0.0f});
  CHECK(scaler.unscale({w}));
  CHECK_FALSE(scaler.step(sgd));
  scaler.update();
  CHECK(torch::equal(w.detach(), torch::ones({3})));
  CHECK(scaler.current_scale() == 512.0);
  CHECK(scaler.growth_tracker() == 0);

  // NaN counts as overflow too.
  w.mutable_grad() = torch::tensor({std::nanf(""), 0.0f, 0.0f});
  CHECK(scaler.unscale({w}));
  CHECK_FALSE(scaler.step(sgd));
  scaler.update();
  CHECK(scaler.current_scale() == 256.0);

  // Good steps: gradients are unscaled before the step; after growth_interval of them the scale doubles.
  for (int i = 0; i < 3; ++i) {
    auto before = w.detach().clone();
    w.mutable_grad() = torch::full({3}, 256.0f);  // = scale * 1
    CHECK_FALSE(scaler.unscale({w}));
    CHECK(torch::allclose(w.grad(), torch::ones({3})));
    CHECK(scaler.step(sgd));
    scaler.update();
    CHECK(torch::allclose(w.detach(), before - 0.1));
  }
  CHECK(scaler.current_scale() == 512.0);
  CHECK(scaler.growth_tracker() == 0);

  auto st = scaler.state_dict().toGenericDict();
  CHECK(st.at("scale").toDouble() == 512.0);
  CHECK(st.at("_growth_tracker").toInt() == 0);
  GradScaler restored(GradScalerOptions().init_scale(1.0).growth_interval(3));
  restored.load_state_dict(scaler.state_dict());
  CHECK(restored.current_scale() == 512.0);

  GradScaler off(GradScalerOptions().enabled(false));
  CHECK(off.scale(torch::tensor(2.0)).item<double>() == 2.0);
  CHECK(off.current_scale() == 1.0);
}

TEST_CASE("gradient clipping reports the norm before clipping", "[train][clip]") {
  auto a = torch::zeros({2}, torch::requires_grad());
  auto b = torch::zeros({1}, torch::requires_grad());
  a.mutable_grad() = torch::tensor({3.0f, 0.0f});
  b.mutable_grad() = torch::tensor({4.0f});
  CHECK(clip_grad_norm({a, b}, 10.0) == Approx(5.0));
  CHECK(torch::allclose(a.grad(), torch::tensor({3.0f, 0.0f})));
  CHECK(clip_grad_norm({a, b}, 1.0) == Approx(5.0));
  CHECK(grad_norm({a, b}) == Approx(1.0).epsilon(1e-5));
  CHECK(a.grad()[0].item<double>() == Approx(0.6).epsilon(1e-5));
}

TEST_CASE("losses and accuracy match their definitions", "[train][loss]") {
  auto logits = torch::tensor({{2.0f, 0.5f, -1.0f}, {0.1f, 0.2f, 3.0f}});
  auto labels = torch::tensor({1, 2}, torch::kLong);
  auto lse = [](std::vector<double> v) {
    double s = 0;
    for (double x : v) s += std::exp(x);
    return std::log(s);
  };
  double l0 = lse({2.0, 0.5, -1.0}), l1 = lse({0.1, 0.2, 3.0});
  double nll = ((l0 - 0.5) + (l1 - 3.0)) / 2;
  CHECK(select_criterion(false, 0.0)(logits, labels).item<double>() == Approx(nll).epsilon(1e-5));

  double mean_neg_logp =
      (((l0 - 2.0) + (l0 - 0.5) + (l0 + 1.0)) / 3 + ((l1 - 0.1) + (l1 - 0.2) + (l1 - 3.0)) / 3) / 2;
  auto ls = select_criterion(false, 0.1);
  CHECK(ls.kind == LossKind::kLabelSmoothing);
  CHECK(ls(logits, labels).item<double>() == Approx(0.9 * nll + 0.1 * mean_neg_logp).epsilon(1e-5));

  auto soft = torch::tensor({{0.2f, 0.8f, 0.0f}, {0.0f, 0.5f, 0.5f}});
  double expected = (0.2 * (l0 - 2.0) + 0.8 * (l0 - 0.5) + 0.5 * (l1 - 0.2) + 0.5 * (l1 - 3.0)) / 2;
  auto st = select_criterion(true, 0.1);
  CHECK(st.kind == LossKind::kSoftTarget);
  CHECK(st(logits, soft).item<double>() == Approx(expected).epsilon(1e-5));

  auto many = torch::tensor({{0.f, 1.f, 2.f, 3.f, 4.f, 5.f}, {5.f, 4.f, 3.f, 2.f, 1.f, 0.f}});
  auto acc = topk_accuracy(many, torch::tensor({5, 4}, torch::kLong), {1, 5});
  CHECK(acc[0] == Approx(50.0));  // row 0 right, row 1 has label 4 at rank 5
  CHECK(acc[1] == Approx(100.0));
  auto acc2 = topk_accuracy(many, torch::tensor({0, 5}, torch::kLong), {1, 5});
  CHECK(acc2[0] == Approx(0.0));
  CHECK(acc2[1] == Approx(0.0));  // both labels are the lowest logit (rank 6)
}
