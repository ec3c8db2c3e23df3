// The training step's multi-tensor pieces against the step-by-step versions they replace: FusedAdamW
// against torch::optim::AdamW's per-parameter loop (two weight-decay groups, LR changes, a parameter
// without a gradient, gradient accumulation, fp16 steps skipped on the device), clipping against the norm
// computed tensor by tensor in double, and the EMA against e = d * e + (1 - d) * m tensor by tensor.
#include "train/recipe/fused_adamw.h"
#include "train/recipe/grad_norm.h"
#include "train/recipe/grad_scaler.h"
#include "train/recipe/model_ema.h"
#include "train/recipe/optimizer_factory.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace focal::train;

namespace {

// Matrices (decayed), biases, a norm weight and a position table (not decayed), an integer buffer.
struct NetImpl : torch::nn::Module {
  NetImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(6, 8));
    fc2 = register_module("fc2", torch::nn::Linear(8, 3));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({8})));
    table = register_parameter("relative_position_bias_table", torch::randn({5, 8}) * 0.1);
    unused = register_parameter("unused", torch::randn({4, 4}));  // never gets a gradient
    register_buffer("count", torch::zeros({1}, torch::kLong));
    register_buffer("running", torch::ones({3}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto h = norm(torch::gelu(fc1(x)) + table.sum(0));  // (N, 8)
    return fc2(h);                                      // (N, 3)
  }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::Tensor table, unused;
};
TORCH_MODULE(Net);

void copy_weights(Net& to, Net& from) {
  torch::NoGradGuard ng;
  for (auto& item : to->named_parameters()) item.value().copy_(from->named_parameters()[item.key()]);
  for (auto& item : to->named_buffers()) item.value().copy_(from->named_buffers()[item.key()]);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Net& net, bool fused) {
  auto split = split_weight_decay(*net, {}, {"relative_position_bias_table"});
  return build_optimizer(OptimizerOptions().lr(3e-2).weight_decay(0.05).fused(fused), split);
}

std::vector<torch::Tensor> trainable(Net& net) {
  std::vector<torch::Tensor> out;
  for (auto& p : net->parameters()) out.push_back(p);
  return out;
}

// Gradients of one micro-batch, divided by the accumulation count and scaled, as the trainer computes them.
void backward(Net& net, const torch::Tensor& x, const torch::Tensor& y, double divisor, double scale) {
  auto loss = torch::nn::functional::cross_entropy(net->forward(x), y);
  (loss * (scale / divisor)).backward();
}

void check_close(Net& a, Net& b, double rtol, double atol) {
  for (auto& item : a->named_parameters()) {
    INFO(item.key());
    const auto& other = b->named_parameters()[item.key()];
    CHECK(torch::allclose(item.value(), other, rtol, atol));
  }
}

}  // namespace

TEST_CASE("fused AdamW equals the per-parameter AdamW loop over several steps", "[train][optim][fused]") {
  torch::manual_seed(3);
  Net loop_net, fused_net;
  copy_weights(fused_net, loop_net);
  auto loop = make_optimizer(loop_net, false);
  auto fused = make_optimizer(fused_net, true);
  REQUIRE(dynamic_cast<FusedAdamW*>(fused.get()) != nullptr);
  REQUIRE(dynamic_cast<FusedAdamW*>(loop.get()) == nullptr);
  REQUIRE(fused->param_groups().size() == 2);
  CHECK(fused->param_groups()[0].params().size() == loop->param_groups()[0].params().size());
  CHECK(static_cast<torch::optim::AdamWOptions&>(fused->param_groups()[1].options()).weight_decay() == 0.0);

  for (int step = 0; step < 6; ++step) {
    // A schedule changes the LR of both groups between steps.
    for (auto* o : {loop.get(), fused.get()}) {
      for (auto& g : o->param_groups()) g.options().set_lr(3e-2 * (1.0 - 0.1 * step));
    }
    auto x = torch::randn({16, 6});
    auto y = torch::randint(3, {16});
    for (auto* pair : {&loop_net, &fused_net}) {
      auto& o = pair == &loop_net ? loop : fused;
      o->zero_grad();
      backward(*pair, x, y, 1.0, 1.0);
      o->step();
    }
    check_close(loop_net, fused_net, 1e-5, 1e-6);
  }
  // The parameter without a gradient is untouched and has no state in either.
  CHECK(torch::equal(loop_net->unused, fused_net->unused));
  CHECK(fused->state().count(fused_net->unused.unsafeGetTensorImpl()) == 0);
  // Same moments and step counts, in the same checkpoint layout.
  auto sl = optimizer_state_dict(*loop, OptimizerOptions()).toGenericDict();
  auto sf = optimizer_state_dict(*fused, OptimizerOptions()).toGenericDict();
  auto stl = sl.at("state").toGenericDict(), stf = sf.at("state").toGenericDict();
  REQUIRE(stl.size() == stf.size());
  for (const auto& e : stl) {
    auto a = e.value().toGenericDict(), b = stf.at(e.key()).toGenericDict();
    CHECK(b.at("step").toTensor().item<double>() == 6.0);
    CHECK(torch::equal(a.at("step").toTensor(), b.at("step").toTensor()));
    CHECK(torch::allclose(a.at("exp_avg").toTensor(), b.at("exp_avg").toTensor(), 1e-5, 1e-7));
    CHECK(torch::allclose(a.at("exp_avg_sq").toTensor(), b.at("exp_avg_sq").toTensor(), 1e-5, 1e-9));
  }
}

TEST_CASE("fused AdamW state moves to and from the loop's checkpoint layout and resumes bitwise",
          "[train][optim][fused]") {
  torch::manual_seed(4);
  Net a, b, c;
  copy_weights(b, a);
  auto opt_a = make_optimizer(a, true);
  auto x = torch::randn({8, 6});
  auto y = torch::randint(3, {8});
  for (int i = 0; i < 3; ++i) {
    opt_a->zero_grad();
    backward(a, x, y, 1.0, 1.0);
    opt_a->step();
  }
  // b: a fresh fused optimizer that loads a's state; c: the loop optimizer loading the same state.
  copy_weights(b, a);
  copy_weights(c, a);
  auto state = optimizer_state_dict(*opt_a, OptimizerOptions());
  auto opt_b = make_optimizer(b, true);
  auto opt_c = make_optimizer(c, false);
  load_optimizer_state_dict(*opt_b, OptimizerOptions(), state);
  load_optimizer_state_dict(*opt_c, OptimizerOptions(), state);
  for (int i = 0; i < 2; ++i) {
    for (auto* pair : {&a, &b, &c}) {
      auto& o = pair == &a ? opt_a : (pair == &b ? opt_b : opt_c);
      o->zero_grad();
      backward(*pair, x, y, 1.0, 1.0);
      o->step();
    }
  }
  for (auto& item : a->named_parameters()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), b->named_parameters()[item.key()]));  // the same kernel: bitwise
  }
  check_close(a, c, 1e-5, 1e-6);  // the loop continues the fused run to float tolerance
  auto sb = optimizer_state_dict(*opt_b, OptimizerOptions()).toGenericDict().at("state").toGenericDict();
  REQUIRE(sb.size() > 0);
  for (const auto& e : sb) CHECK(e.value().toGenericDict().at("step").toTensor().item<double>() == 5.0);
}

TEST_CASE("fp16 steps with accumulation: skips on the device equal the host-checked loop",
          "[train][optim][fused][amp]") {
  torch::manual_seed(5);
  Net loop_net, fused_net;
  copy_weights(fused_net, loop_net);
  auto loop = make_optimizer(loop_net, false);
  auto fused = make_optimizer(fused_net, true);
  const auto opts = GradScalerOptions().init_scale(1024.0).growth_interval(2);
  GradScaler loop_scaler(opts), fused_scaler(opts);
  const int acc = 2;
  const double max_norm = 0.5;  // small enough to clip
  const std::vector<int> overflow_steps = {1, 2, 5};
  int skipped = 0;
  for (int step = 0; step < 7; ++step) {
    const bool overflow =
        std::find(overflow_steps.begin(), overflow_steps.end(), step) != overflow_steps.end();
    skipped += overflow ? 1 : 0;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> micro;
    for (int m = 0; m < acc; ++m) micro.emplace_back(torch::randn({8, 6}), torch::randint(3, {8}));
    for (auto* pair : {&loop_net, &fused_net}) {
      const bool is_fused = pair == &fused_net;
      auto& o = is_fused ? fused : loop;
      auto& scaler = is_fused ? fused_scaler : loop_scaler;
      for (auto& [x, y] : micro) {
        auto loss = torch::nn::functional::cross_entropy((*pair)->forward(x), y);
        scaler.scale(loss / static_cast<double>(acc)).backward();
      }
      if (overflow) {
        torch::NoGradGuard ng;
        (*pair)->fc1->weight.grad()[0][0] = std::numeric_limits<float>::infinity();
      }
      auto params = trainable(*pair);
      if (is_fused) {
        scaler.unscale_async(params);
        clip_grad_norm_tensor(params, max_norm);
        scaler.step_async(*o);
      } else {
        scaler.unscale(params);
        clip_grad_norm(params, max_norm);
        scaler.step(*o);
      }
      scaler.update();
      o->zero_grad();
    }
    INFO("step " << step);
    CHECK(fused_scaler.current_scale() == loop_scaler.current_scale());
    CHECK(fused_scaler.growth_tracker() == loop_scaler.growth_tracker());
    check_close(loop_net, fused_net, 1e-5, 1e-6);
  }
  for (auto& p : fused_net->parameters()) CHECK(std::isfinite(p.sum().item<double>()));
  CHECK(fused_scaler.skipped_steps() == skipped);
  CHECK(loop_scaler.skipped_steps() == skipped);
  // Skipped steps do not count: the fused step tensors agree with the loop's host counts.
  auto sl = optimizer_state_dict(*loop, OptimizerOptions()).toGenericDict().at("state").toGenericDict();
  auto sf = optimizer_state_dict(*fused, OptimizerOptions()).toGenericDict().at("state").toGenericDict();
  REQUIRE(sf.size() == sl.size());
  for (const auto& e : sf) {
    CHECK(e.value().toGenericDict().at("step").toTensor().item<double>() == 7.0 - skipped);
    CHECK(torch::equal(sl.at(e.key()).toGenericDict().at("step").toTensor(),
                       e.value().toGenericDict().at("step").toTensor()));
  }
}

TEST_CASE("multi-tensor clipping equals the norm computed tensor by tensor", "[train][clip]") {
  torch::manual_seed(6);
  std::vector<torch::Tensor> params;
  for (int64_t n : {7, 1, 300, 12}) {
    auto p = torch::zeros({n}, torch::requires_grad());
    p.mutable_grad() = torch::randn({n}) * 3.0;
    params.push_back(p);
  }
  params.push_back(torch::zeros({2}, torch::requires_grad()));  // no gradient: skipped
  auto reference = [&] {
    double sq = 0;
    for (auto& p : params) {
      if (p.grad().defined()) sq += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
    }
    return std::sqrt(sq);
  };
  std::vector<torch::Tensor> before;
  for (auto& p : params) before.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
  const double norm = reference();
  REQUIRE(norm > 1.0);

  // Above the norm: nothing changes, bitwise.
  CHECK(clip_grad_norm_tensor(params, norm * 2).item<double>() == Approx(norm).epsilon(1e-6));
  for (size_t i = 0; i + 1 < params.size(); ++i) CHECK(torch::equal(params[i].grad(), before[i]));
  // Below: every gradient scaled by max_norm / (norm + 1e-6), the norm returned is the one before.
  const double max_norm = 1.0;
  CHECK(clip_grad_norm_tensor(params, max_norm).item<double>() == Approx(norm).epsilon(1e-6));
  const double coef = max_norm / (norm + 1e-6);
  for (size_t i = 0; i + 1 < params.size(); ++i) {
    CHECK(torch::allclose(params[i].grad(), before[i] * coef, 1e-6, 1e-7));
  }
  CHECK(reference() == Approx(max_norm).epsilon(1e-5));
  CHECK(grad_norm_tensor(params).item<double>() == Approx(reference()).epsilon(1e-6));
  // A non-finite norm leaves the gradients as they are.
  params[0].mutable_grad()[0] = std::numeric_limits<float>::quiet_NaN();
  auto kept = params[2].grad().clone();
  CHECK(std::isnan(clip_grad_norm_tensor(params, max_norm).item<double>()));
  CHECK(torch::equal(params[2].grad(), kept));
  // No clipping at max_norm <= 0.
  CHECK(std::isnan(clip_grad_norm(params, 0.0)));
  CHECK(torch::equal(params[2].grad(), kept));
}

TEST_CASE("multi-tensor EMA equals the tensor-by-tensor update bitwise", "[train][ema]") {
  torch::manual_seed(7);
  Net model, ema_copy, reference;
  ModelEma ema(ema_copy.ptr(), 0.99);
  ema.set(*model);
  copy_weights(reference, model);
  for (int step = 0; step < 5; ++step) {
    {
      torch::NoGradGuard ng;
      for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.1);
      model->named_buffers()["count"].add_(1);
      model->named_buffers()["running"].mul_(1.5);
    }
    ema.update(*model);
    torch::NoGradGuard ng;
    auto mine = reference->named_parameters();
    for (auto& item : model->named_parameters()) mine[item.key()].mul_(0.99).add_(item.value(), 1.0 - 0.99);
    auto mine_b = reference->named_buffers();
    for (auto& item : model->named_buffers()) {
      auto& e = mine_b[item.key()];
      if (e.is_floating_point()) {
        e.mul_(0.99).add_(item.value(), 1.0 - 0.99);
      } else {
        e.copy_(item.value());
      }
    }
  }
  for (auto& item : reference->named_parameters()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), ema_copy->named_parameters()[item.key()]));
  }
  for (auto& item : reference->named_buffers()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), ema_copy->named_buffers()[item.key()]));
  }
  CHECK(ema_copy->named_buffers()["count"].item<int64_t>() == 5);
}
