// The training checkpoint: written through focal_io, read back by our reader and by Python's torch.load
// (weights_only=True), and checkpoints of the original training script are understood.
#include "focal/io/atomic_write.h"
#include "focal/io/checkpoint.h"
#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"
#include "train/checkpoint/training_checkpoint.h"
#include "train/recipe/grad_scaler.h"
#include "train/recipe/lr_scheduler.h"
#include "train/recipe/optimizer_factory.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace focal::train;

namespace {

struct Net : torch::nn::Module {
  Net() {
    fc = register_module("fc", torch::nn::Linear(5, 3));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})));
    register_buffer("index", torch::arange(6));
  }
  torch::Tensor forward(torch::Tensor x) { return norm(fc(x)); }
  torch::nn::Linear fc{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};

struct Fixture {
  Net net;
  std::unique_ptr<torch::optim::Optimizer> opt;
  std::unique_ptr<LrScheduler> sched;
  GradScaler scaler{GradScalerOptions().init_scale(256.0)};
  TrainingCheckpoint ck;

  Fixture() {
    torch::manual_seed(3);
    net.fc->weight.data().normal_();
    opt = build_optimizer(OptimizerOptions().lr(1e-3), split_weight_decay(net, {}, {}));
    sched = std::make_unique<LrScheduler>(
        *opt, LrSchedulerOptions().t_initial(50).warmup_t(5).warmup_lr_init(1e-6));
    for (int i = 0; i < 2; ++i) {
      opt->zero_grad();
      net.forward(torch::randn({4, 5})).pow(2).sum().backward();
      opt->step();
      sched->step_update(i);
    }
    ck.model = focal::io::module_state_dict(net);
    ck.model_ema = ck.model;
    ck.optimizer = optimizer_state_dict(*opt, OptimizerOptions());
    ck.lr_scheduler = sched->state_dict();
    ck.scaler = scaler.state_dict();
    ck.epoch = 3;
    ck.step = 2;
    ck.max_accuracy = 61.5;
    ck.max_accuracy_ema = 60.25;
    ck.rng_torch = at::detail::getDefaultCPUGenerator().get_state();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
    ck.rng_mixup = gen.get_state();
    ck.loader_epoch = 4;
    ck.loader_next_batch = 7;
    ck.progress.loss_sum = 12.5;
    ck.progress.images = 28;
    ck.config_yaml = "TRAIN:\n  EPOCHS: 5\n";
  }
};

}  // namespace

TEST_CASE("training checkpoint round-trips through our reader", "[train][checkpoint]") {
  Fixture f;
  auto dir = focal::test::temp_dir("ckpt_rt");
  auto path = dir / "last.pth";
  save_training_checkpoint(path, f.ck);
  CHECK_FALSE(std::filesystem::exists(focal::io::temporary_sibling(path)));
  auto back = load_training_checkpoint(path);
  REQUIRE(back.model.size() == f.ck.model.size());
  for (size_t i = 0; i < back.model.size(); ++i) {
    CHECK(back.model[i].first == f.ck.model[i].first);
    CHECK(torch::equal(back.model[i].second, f.ck.model[i].second));
  }
  REQUIRE(back.model_ema);
  CHECK(back.epoch == 3);
  CHECK(back.step == 2);
  CHECK(back.max_accuracy == 61.5);
  CHECK(back.max_accuracy_ema == 60.25);
  CHECK(torch::equal(back.rng_torch, f.ck.rng_torch));
  CHECK(torch::equal(back.rng_mixup, f.ck.rng_mixup));
  CHECK(back.loader_epoch == 4);
  CHECK(back.loader_next_batch == 7);
  CHECK(back.progress.loss_sum == 12.5);
  CHECK(back.config_yaml == f.ck.config_yaml);

  // The optimizer and schedule continue from the restored state exactly.
  Net twin;
  focal::io::load_state_dict(twin, back.model, true, "test");
  auto opt2 = build_optimizer(OptimizerOptions().lr(1e-3), split_weight_decay(twin, {}, {}));
  LrScheduler sched2(*opt2, LrSchedulerOptions().t_initial(50).warmup_t(5).warmup_lr_init(1e-6));
  load_optimizer_state_dict(*opt2, OptimizerOptions(), back.optimizer);
  sched2.load_state_dict(back.lr_scheduler);
  CHECK(opt2->param_groups()[0].options().get_lr() == f.opt->param_groups()[0].options().get_lr());
  auto x = torch::randn({4, 5});
  for (int pair : {0, 1}) {
    auto& n = pair ? twin : f.net;
    auto& o = pair ? opt2 : f.opt;
    o->zero_grad();
    n.forward(x).pow(2).sum().backward();
    o->step();
  }
  CHECK(torch::equal(twin.fc->weight, f.net.fc->weight));
  CHECK(torch::equal(twin.norm->bias, f.net.norm->bias));

  // A truncated file is an error naming it.
  std::ofstream(dir / "broken.pth") << "PK\x03\x04 not really";
  CHECK_THROWS_WITH(load_training_checkpoint(dir / "broken.pth"), Catch::Contains("broken.pth"));
  CHECK_THROWS_WITH(load_training_checkpoint(dir / "absent.pth"), Catch::Contains("absent.pth"));
}

TEST_CASE("training checkpoint opens in Python's torch.load(weights_only=True)",
          "[train][checkpoint][python]") {
  auto py = focal::test::reference_python("torch");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch");
  Fixture f;
  auto dir = focal::test::temp_dir("ckpt_py");
  auto path = dir / "ckpt_epoch_3.pth";
  save_training_checkpoint(path, f.ck);
  auto script = dir / "check.py";
  std::ofstream(script) << R"(import sys, torch
ck = torch.load(sys.argv[1], map_location='cpu', weights_only=True)
need = {'model', 'model_ema', 'optimizer', 'lr_scheduler', 'scaler', 'epoch', 'step', 'max_accuracy', 'rng', 'config'}
assert need <= set(ck), sorted(ck)
m = ck['model']
assert list(m) == ['fc.weight', 'fc.bias', 'norm.weight', 'norm.bias', 'index'], list(m)
assert m['fc.weight'].shape == (3, 5) and m['index'].dtype == torch.int64
opt = ck['optimizer']
assert [g['weight_decay'] for g in opt['param_groups']] == [0.05, 0.0]
assert [len(g['params']) for g in opt['param_groups']] == [1, 3]
assert tuple(opt['param_groups'][0]['betas']) == (0.9, 0.999)
s0 = opt['state'][0]
assert float(s0['step']) == 2.0 and s0['exp_avg'].shape == (3, 5) and s0['exp_avg_sq'].shape == (3, 5)
# The optimizer state loads into a real PyTorch AdamW over the same parameters.
net = torch.nn.Module(); net.fc = torch.nn.Linear(5, 3); net.norm = torch.nn.LayerNorm(3)
params = [net.fc.weight]; rest = [net.fc.bias, net.norm.weight, net.norm.bias]
ao = torch.optim.AdamW([{'params': params}, {'params': rest, 'weight_decay': 0.0}], lr=1e-3, weight_decay=0.05)
ao.load_state_dict(opt)
torch.set_rng_state(ck['rng']['torch'])
assert ck['rng']['loader'] == {'epoch': 4, 'next_batch': 7}
assert ck['epoch'] == 3 and ck['step'] == 2 and ck['max_accuracy'] == 61.5
assert ck['scaler']['scale'] == 256.0
assert ck['config'].startswith('TRAIN:')
print(repr(float(m['fc.weight'].double().sum())), repr(float(s0['exp_avg_sq'].double().sum())))
)";
  auto out = dir / "out.txt";
  REQUIRE(focal::test::run_command("\"" + *py + "\" " + script.string() + " " + path.string() + " > " +
                                   out.string() + " 2>&1") == 0);
  std::ifstream in(out);
  double w_sum = 0, v_sum = 0;
  in >> w_sum >> v_sum;
  auto d = f.ck.optimizer.toGenericDict().at("state").toGenericDict().at(0).toGenericDict();
  CHECK(w_sum == Approx(f.net.fc->weight.to(torch::kDouble).sum().item<double>()).epsilon(1e-12));
  CHECK(v_sum ==
        Approx(d.at("exp_avg_sq").toTensor().to(torch::kDouble).sum().item<double>()).epsilon(1e-12));
}

TEST_CASE("a checkpoint of the original training script is understood", "[train][checkpoint]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures folder absent: " + focal::test::fixtures_dir().string());
  auto path = focal::test::fixtures_dir() / "focal_micro_224.train_ckpt.pth";
  auto ck = checkpoint_from_ivalue(focal::io::read_pickle_file(path.string()), path.string());
  CHECK(ck.epoch == 3);
  CHECK(ck.max_accuracy == 12.5);
  CHECK(ck.loader_epoch == 4);  // the next epoch from its start
  CHECK(ck.loader_next_batch == 0);
  CHECK_FALSE(ck.rng_torch.defined());
  CHECK(ck.model.size() > 100);
  // Its timm scheduler state (no position) restores the base LRs.
  auto w = torch::zeros({1}, torch::requires_grad());
  auto v = torch::zeros({1}, torch::requires_grad());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{w}, std::make_unique<torch::optim::AdamWOptions>(0.5));
  groups.emplace_back(std::vector<torch::Tensor>{v}, std::make_unique<torch::optim::AdamWOptions>(0.5));
  torch::optim::AdamW opt(groups);
  LrScheduler sched(opt, LrSchedulerOptions().t_initial(1000).warmup_t(20));
  sched.load_state_dict(ck.lr_scheduler);
  CHECK(sched.base_lrs() == std::vector<double>{0.001, 0.001});
  CHECK(sched.last_update() == -1);
}
