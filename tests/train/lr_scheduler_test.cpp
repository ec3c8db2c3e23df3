// The LR curve against its closed form and against timm's CosineLRScheduler.
#include "train/recipe/lr_scheduler.h"
#include "tests/support/test_env.h"
#include "train/recipe/lr_scaling.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace focal::train;

namespace {

struct OneParam {
  torch::Tensor w = torch::zeros({2}, torch::requires_grad());
  torch::optim::SGD sgd{{w}, torch::optim::SGDOptions(0.1)};
};

// Written from the definition: linear warm-up from warmup_lr to base over W updates, then
// min + (base - min) (1 + cos(pi t / T)) / 2 with t counted from 0 (no warm-up prefix), min after T.
double expected_lr(int64_t t, double base, double warm, double mn, int64_t W, int64_t T) {
  if (t < W) return warm + (base - warm) * static_cast<double>(t) / static_cast<double>(W);
  if (t >= T) return mn;
  return mn + (base - mn) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * static_cast<double>(t) / T));
}

}  // namespace

TEST_CASE("linear LR scaling by total batch / 512 and accumulation steps", "[train][lr]") {
  auto s = linear_scaled_lr(5e-4, 5e-7, 5e-6, 128, 1, 0);
  CHECK(s.base == Approx(5e-4 * 0.25));
  CHECK(s.warmup == Approx(5e-7 * 0.25));
  CHECK(s.min == Approx(5e-6 * 0.25));
  auto d = linear_scaled_lr(5e-4, 5e-7, 5e-6, 64, 4, 1);  // 256 images over 4 processes
  CHECK(d.base == Approx(2.5e-4));
  auto a = linear_scaled_lr(5e-4, 5e-7, 5e-6, 32, 1, 4);  // accumulation multiplies once more
  CHECK(a.base == Approx(5e-4 * 32.0 / 512.0 * 4.0));
  CHECK(a.warmup == Approx(5e-7 * 32.0 / 512.0 * 4.0));
  CHECK(a.min == Approx(5e-6 * 32.0 / 512.0 * 4.0));
}

TEST_CASE("cosine schedule with warm-up follows its formula", "[train][lr]") {
  OneParam p;
  const double base = 1e-3, warm = 1e-6, mn = 1e-5;
  const int64_t W = 20, T = 100;
  p.sgd.param_groups()[0].options().set_lr(base);
  LrScheduler sched(p.sgd, LrSchedulerOptions().t_initial(T).warmup_t(W).lr_min(mn).warmup_lr_init(warm));
  // Construction sets the warm-up start LR, as timm does.
  CHECK(p.sgd.param_groups()[0].options().get_lr() == Approx(warm));
  for (int64_t t = 0; t < T + 10; ++t) {
    sched.step_update(t);
    INFO("t = " << t);
    CHECK(p.sgd.param_groups()[0].options().get_lr() ==
          Approx(expected_lr(t, base, warm, mn, W, T)).epsilon(1e-12));
  }
  // The end of warm-up reaches the cosine curve at t = W.
  CHECK(sched.lr_at(W)[0] == Approx(mn + (base - mn) * 0.5 * (1 + std::cos(M_PI * W / T))));
}

TEST_CASE("each parameter group keeps its own base LR, and its state round-trips", "[train][lr]") {
  auto a = torch::zeros({1}, torch::requires_grad());
  auto b = torch::zeros({1}, torch::requires_grad());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{a}, std::make_unique<torch::optim::SGDOptions>(0.2));
  groups.emplace_back(std::vector<torch::Tensor>{b}, std::make_unique<torch::optim::SGDOptions>(0.4));
  torch::optim::SGD sgd(groups, torch::optim::SGDOptions(0.2));
  LrScheduler sched(sgd, LrSchedulerOptions().t_initial(10).warmup_t(0).lr_min(0.0));
  sched.step_update(5);
  CHECK(sgd.param_groups()[0].options().get_lr() == Approx(0.1));
  CHECK(sgd.param_groups()[1].options().get_lr() == Approx(0.2));

  auto state = sched.state_dict();
  sgd.param_groups()[0].options().set_lr(9.0);
  LrScheduler other(sgd, LrSchedulerOptions().t_initial(10));
  other.load_state_dict(state);
  CHECK(other.last_update() == 5);
  CHECK(sgd.param_groups()[0].options().get_lr() == Approx(0.1));
  CHECK(other.base_lrs()[1] == Approx(0.4));
}

TEST_CASE("step and linear schedules", "[train][lr]") {
  OneParam p;
  p.sgd.param_groups()[0].options().set_lr(1.0);
  LrScheduler step(p.sgd, LrSchedulerOptions().name("step").t_initial(100).decay_t(30).decay_rate(0.1));
  CHECK(step.lr_at(29)[0] == Approx(1.0));
  CHECK(step.lr_at(30)[0] == Approx(0.1));
  CHECK(step.lr_at(65)[0] == Approx(0.01));
  OneParam q;
  q.sgd.param_groups()[0].options().set_lr(1.0);
  LrScheduler lin(q.sgd, LrSchedulerOptions().name("linear").t_initial(110).warmup_t(10).lr_min_rate(0.01));
  CHECK(lin.lr_at(10)[0] == Approx(1.0));
  CHECK(lin.lr_at(60)[0] == Approx(1.0 - 0.99 * 0.5));
  CHECK_THROWS_WITH(LrScheduler(q.sgd, LrSchedulerOptions().name("poly")), Catch::Contains("poly"));
}

TEST_CASE("cosine schedule equals timm's CosineLRScheduler", "[train][lr][python]") {
  auto py = focal::test::reference_python("torch, timm");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch and timm");
  const int64_t T = 57, W = 11;
  const double base = 3e-4, warm = 2e-7, mn = 4e-6;
  auto dir = focal::test::temp_dir("lr_timm");
  auto script = dir / "ref.py";
  {
    std::ofstream s(script);
    s << "import torch\nfrom timm.scheduler.cosine_lr import CosineLRScheduler\n"
      << "p = torch.nn.Parameter(torch.zeros(1))\n"
      << "opt = torch.optim.AdamW([p], lr=" << base << ")\n"
      << "s = CosineLRScheduler(opt, t_initial=" << T << ", lr_min=" << mn << ", warmup_lr_init=" << warm
      << ", warmup_t=" << W << ", cycle_limit=1, t_in_epochs=False)\n"
      << "for t in range(" << T + 5 << "):\n"
      << "    s.step_update(t)\n"
      << "    print(repr(opt.param_groups[0]['lr']))\n";
  }
  auto out = dir / "out.txt";
  REQUIRE(focal::test::run_command("\"" + *py + "\" " + script.string() + " > " + out.string()) == 0);
  OneParam p;
  p.sgd.param_groups()[0].options().set_lr(base);
  LrScheduler sched(p.sgd, LrSchedulerOptions().t_initial(T).warmup_t(W).lr_min(mn).warmup_lr_init(warm));
  std::ifstream in(out);
  double ref = 0;
  int64_t t = 0;
  for (; in >> ref; ++t) {
    INFO("t = " << t);
    CHECK(sched.lr_at(t)[0] == Approx(ref).epsilon(1e-12));
  }
  CHECK(t == T + 5);
}
