// The trainer's wiring, through Trainer::run on a tiny Focal model and synthetic images: each observable is
// compared with a value computed here from the configuration and the original recipe, never with a second run
// of the same code (where a wiring bug would cancel out).
//   - the LR of every optimizer step, read from the optimizer the trainer drives, is timm's per-step cosine
//     schedule with linear warm-up, stepped after each optimizer step as the original main.py does;
//   - the EMA in the checkpoints is the EMA of the weights each step produced, started from the initial ones;
//   - TRAIN.PRETRAINED and --pretrained set the weights the first step starts from;
//   - best.pth and max_accuracy follow the best epoch; SAVE_FREQ writes the files train/README.md lists;
//   - auto-resume prefers the run folder's last.pth over --resume, with the original's warning;
//   - --eval and --throughput run without training and report.
#include "focal/io/checkpoint_writer.h"
#include "focal/io/state_dict.h"
#include "focal/zoo/model_zoo.h"
#include "tests/support/test_env.h"
#include "tests/support/tiny_configs.h"
#include "train/checkpoint/training_checkpoint.h"
#include "train/cli.h"
#include "train/output/metrics_csv.h"
#include "train/trainer.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace focal::train;
namespace fs = std::filesystem;

namespace {

// The tiny Focal model of the training tests (tests/support/tiny_configs.h) without EMA or drop path, 3
// epochs of 16 synthetic images in batches of 4: 4 optimizer steps per epoch.
std::string wiring_config() {
  focal::test::TinyFocalRun run;
  run.name = "wiring_test";
  run.num_classes = 4;
  run.drop_path_rate = 0.0;
  run.epochs = 3;
  run.base_lr = 0.5;
  run.warmup_lr = 0.02;
  run.min_lr = 0.05;
  run.weight_decay = 0.05;
  run.ema = false;
  run.print_freq = 100;
  run.seed = 3;
  return focal::test::tiny_focal_yaml(run);
}
constexpr int64_t kImages = 16, kBatch = 4, kStepsPerEpoch = kImages / kBatch;

fs::path write_config(const fs::path& dir) {
  const auto path = dir / "wiring.yaml";
  if (!fs::exists(path)) std::ofstream(path) << wiring_config();
  return path;
}

focal::Config config(const fs::path& dir, const std::string& run, const std::vector<std::string>& opts = {}) {
  auto c = focal::Config::from_file(write_config(dir).string());
  if (!opts.empty()) c.merge_opts(opts);
  c.set("OUTPUT", "'" + (dir / run).string() + "'");
  return c;
}

TrainerOptions quiet(int64_t stop_after = 0) {
  return TrainerOptions().synthetic_size(kImages).console(false).stop_after_steps(stop_after);
}

// What the step observer saw.
struct Step {
  int64_t index = 0;
  std::vector<double> lrs;                 // every parameter group
  double grad_norm = 0;                    // of the gradients the step applied
  std::map<std::string, torch::Tensor> w;  // floating-point parameters and buffers after the step
};

TrainerOptions observing(std::vector<Step>& steps, bool weights, TrainerOptions o = quiet()) {
  return o.step_observer(
      [&steps, weights](int64_t index, torch::nn::Module& model, torch::optim::Optimizer& opt) {
        Step s;
        s.index = index;
        for (const auto& g : opt.param_groups()) s.lrs.push_back(g.options().get_lr());
        double sq = 0;
        for (const auto& p : model.parameters()) {
          if (p.grad().defined()) sq += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
        }
        s.grad_norm = std::sqrt(sq);
        if (weights) {
          for (const auto& [name, t] : focal::io::module_state_dict(model)) {
            if (t.is_floating_point()) s.w[name] = t.detach().clone();
          }
        }
        steps.push_back(std::move(s));
      });
}

// A run of --eval or --throughput: its result and run folder, after checking that no optimizer step ran.
std::pair<TrainResult, fs::path> run_without_training(const focal::Config& cfg) {
  std::vector<Step> steps;
  Trainer t(cfg, observing(steps, false));
  auto run_dir = t.run_dir();
  auto r = t.run();
  CHECK(steps.empty());
  return {std::move(r), std::move(run_dir)};
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// timm's CosineLRScheduler._get_lr(t) as the original build_scheduler configures it (t_in_epochs=False,
// cycle_limit 1, no warm-up prefix), restated from its definition: linear warm-up from warmup_lr over
// `warmup` updates, then lr_min + (base - lr_min) / 2 * (1 + cos(pi * t / total)), lr_min past the cycle.
double timm_cosine_lr(int64_t t, double base, double warmup_lr, double lr_min, int64_t warmup,
                      int64_t total) {
  if (t < warmup)
    return warmup_lr + static_cast<double>(t) * (base - warmup_lr) / static_cast<double>(warmup);
  if (t >= total) return lr_min;
  return lr_min +
         0.5 * (base - lr_min) * (1.0 + std::cos(M_PI * static_cast<double>(t) / static_cast<double>(total)));
}

// The original main.py scales every LR by batch x world size / 512 and by the accumulation steps.
double scaled(double lr, int64_t accumulation = 1) {
  return lr * static_cast<double>(kBatch) / 512.0 * static_cast<double>(accumulation);
}

// A state dict of the tiny model that no training run starts from: another seed and large offsets.
fs::path write_pretrained(const fs::path& dir, std::map<std::string, torch::Tensor>& weights) {
  auto c = config(dir, "unused_pretrained_source");
  torch::manual_seed(12345);
  auto model = focal::create_model_from_config(c);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.2 + 0.1);
  }
  const auto sd = focal::io::module_state_dict(*model);
  for (const auto& [name, t] : sd) {
    if (t.is_floating_point()) weights[name] = t.clone();
  }
  const auto path = dir / "pretrained.pth";
  focal::io::save_state_dict(path.string(), sd);
  return path;
}

// The first AdamW step moves every weight by at most its LR (|m_hat / sqrt(v_hat)| = |g| / |g| at t = 1) plus
// the decoupled weight decay: the weights after step 0 lie within that distance of the ones it started from.
double largest_excess_over_first_step(const std::map<std::string, torch::Tensor>& start, const Step& first,
                                      double weight_decay) {
  double worst = 0;
  for (const auto& [name, w1] : first.w) {
    auto it = start.find(name);
    REQUIRE(it != start.end());
    const double lr = first.lrs.front();
    const auto w0 = it->second.to(torch::kDouble);
    // Plus a few float32 roundings of the weights themselves.
    auto bound = lr * (1.0 + 1e-6) + lr * weight_decay * w0.abs() + 5e-7 * (1.0 + w0.abs());
    worst = std::max(worst, ((w1.to(torch::kDouble) - w0).abs() - bound).max().item<double>());
  }
  return worst;
}

}  // namespace

TEST_CASE(
    "the LR of every optimizer step is timm's warm-up + cosine schedule, stepped after the step, and "
    "gradients are clipped",
    "[train][wiring][lr]") {
  const auto dir = focal::test::temp_dir("wiring_lr");
  for (const int64_t acc : {int64_t{1}, int64_t{2}}) {
    DYNAMIC_SECTION("accumulation " << acc) {
      std::vector<Step> steps;
      // A clipping norm far below the gradients' own: every step applies gradients of exactly that norm.
      const double clip = 1e-3;
      auto c =
          config(dir, "lr_acc" + std::to_string(acc),
                 {"TRAIN.ACCUMULATION_STEPS", std::to_string(acc), "TRAIN.CLIP_GRAD", std::to_string(clip)});
      const auto result = Trainer(c, observing(steps, false)).run();
      REQUIRE(result.completed);
      const int64_t epochs = 3, batches = epochs * kStepsPerEpoch;  // the schedule counts loader batches
      REQUIRE(static_cast<int64_t>(steps.size()) == batches / acc);
      const double base = scaled(0.5, acc), warm = scaled(0.02, acc), lr_min = scaled(0.05, acc);
      for (size_t j = 0; j < steps.size(); ++j) {
        // The step at batch b = (j + 1) * acc - 1 runs with the LR that step_update(b_prev) set after the
        // previous step (the warm-up start LR for the first one).
        const int64_t t = j == 0 ? 0 : static_cast<int64_t>(j) * acc - 1;
        const double expected = timm_cosine_lr(t, base, warm, lr_min, kStepsPerEpoch, batches);
        INFO("step " << j << " (schedule position " << t << ")");
        CHECK(steps[j].index == static_cast<int64_t>(j));
        REQUIRE(steps[j].lrs.size() == 2);  // with and without weight decay, same schedule
        for (double lr : steps[j].lrs) CHECK(lr == Approx(expected).epsilon(1e-12));
        CHECK(steps[j].grad_norm == Approx(clip).epsilon(1e-3));
      }
      // The schedule went through warm-up, peak and decay: the checks above are not all of one value.
      CHECK(steps[1].lrs[0] < steps[kStepsPerEpoch / acc].lrs[0]);
      CHECK(steps.back().lrs[0] < steps[kStepsPerEpoch / acc + 1].lrs[0]);
    }
  }
}

TEST_CASE("the EMA the trainer writes is the EMA of the weights of every step, from TRAIN.PRETRAINED",
          "[train][wiring][ema][pretrained]") {
  const auto dir = focal::test::temp_dir("wiring_ema");
  std::map<std::string, torch::Tensor> start;
  const auto pretrained = write_pretrained(dir, start);
  const double decay = 0.7;
  std::vector<Step> steps;
  auto c = config(dir, "ema",
                  {"TRAIN.EMA.ENABLE", "true", "TRAIN.EMA.DECAY", std::to_string(decay), "TRAIN.EPOCHS", "2",
                   "TRAIN.PRETRAINED", "'" + pretrained.string() + "'"});
  const auto result = Trainer(c, observing(steps, true)).run();
  REQUIRE(result.completed);
  REQUIRE(steps.size() == 2 * kStepsPerEpoch);

  // TRAIN.PRETRAINED: the first step started from the file's weights.
  CHECK(largest_excess_over_first_step(start, steps[0], 0.05) <= 0);

  // ema_0 = the starting weights; ema_k = d * ema_{k-1} + (1 - d) * w_k, in double precision.
  std::map<std::string, torch::Tensor> ema;
  for (const auto& [name, t] : start) ema[name] = t.to(torch::kDouble);
  auto check_against = [&](const fs::path& file, const std::string& what) {
    auto ck = load_training_checkpoint(file);
    REQUIRE(ck.model_ema.has_value());
    int64_t compared = 0;
    for (const auto& [name, t] : *ck.model_ema) {
      if (!t.is_floating_point()) continue;
      INFO(what << ": " << name);
      REQUIRE(ema.count(name) == 1);
      const double scale = 1.0 + ema[name].abs().max().item<double>();
      CHECK((t.to(torch::kDouble) - ema[name]).abs().max().item<double>() <= 1e-5 * scale);
      ++compared;
    }
    CHECK(compared == static_cast<int64_t>(ema.size()));
  };
  for (size_t k = 0; k < steps.size(); ++k) {
    for (auto& [name, e] : ema) e = decay * e + (1.0 - decay) * steps[k].w.at(name).to(torch::kDouble);
    if (k + 1 == kStepsPerEpoch) check_against(dir / "ema" / "ckpt_epoch_0.pth", "after epoch 0");
  }
  check_against(dir / "ema" / "last.pth", "after epoch 1");
  // The EMA moved: it is neither the starting weights nor the last weights.
  const auto& name = start.begin()->first;
  CHECK_FALSE(torch::allclose(ema[name], start[name].to(torch::kDouble)));
  CHECK_FALSE(torch::allclose(ema[name], steps.back().w.at(name).to(torch::kDouble)));
}

TEST_CASE("--pretrained sets the weights the first step starts from, and without it they are not those",
          "[train][wiring][pretrained]") {
  const auto dir = focal::test::temp_dir("wiring_pretrained");
  std::map<std::string, torch::Tensor> start;
  const auto pretrained = write_pretrained(dir, start);
  auto run_cli = [&](const std::string& tag, bool with_pretrained) {
    std::vector<std::string> args = {"--cfg",    write_config(dir).string(),
                                     "--output", (dir / "out").string(),
                                     "--tag",    tag,
                                     "--opts",   "TRAIN.EPOCHS",
                                     "1"};
    if (with_pretrained) args.insert(args.end(), {"--pretrained", pretrained.string()});
    const auto cfg = resolve_config(parse_cli(args));
    if (with_pretrained) CHECK(cfg.get<std::string>("TRAIN.PRETRAINED") == pretrained.string());
    std::vector<Step> steps;
    TrainerOptions o = quiet().stop_after_steps(1);
    REQUIRE(Trainer(cfg, observing(steps, true, o)).run().interrupted);
    REQUIRE(steps.size() == 1);
    return largest_excess_over_first_step(start, steps[0], 0.05);
  };
  CHECK(run_cli("with", true) <= 0);
  CHECK(run_cli("without", false) > 0.01);  // the model's own initialisation is far from the file's weights
}

TEST_CASE("best.pth and max_accuracy follow the best epoch", "[train][wiring][checkpoint]") {
  const auto dir = focal::test::temp_dir("wiring_best");
  SECTION("a run of four epochs") {
    const auto result =
        Trainer(
            config(dir, "best", {"TRAIN.EPOCHS", "4", "TRAIN.EMA.ENABLE", "true", "TRAIN.EMA.DECAY", "0.5"}),
            quiet())
            .run();
    REQUIRE(result.completed);
    const auto rows = read_metrics_csv(dir / "best" / "metrics.csv");
    REQUIRE(rows.size() == 4);
    size_t best = 0;
    double running = -1, best_ema = -1;
    for (size_t e = 0; e < rows.size(); ++e) {
      if (rows[e].val_acc1 > rows[best].val_acc1) best = e;  // the first epoch reaching the maximum
      running = std::max(running, rows[e].val_acc1);
      best_ema = std::max(best_ema, rows[e].ema_val_acc1);
      CHECK(rows[e].max_acc1 == Approx(running));
    }
    CHECK(result.max_accuracy == Approx(rows[best].val_acc1));
    CHECK(result.max_accuracy_ema == Approx(best_ema));
    CHECK(load_training_checkpoint(dir / "best" / "last.pth").max_accuracy_ema == Approx(best_ema));
    const auto b = load_training_checkpoint(dir / "best" / "best.pth");
    CHECK(b.epoch == static_cast<int64_t>(best));
    CHECK(b.max_accuracy == Approx(rows[best].val_acc1));
    CHECK(load_training_checkpoint(dir / "best" / "last.pth").max_accuracy == Approx(rows[best].val_acc1));
    const auto same =
        load_training_checkpoint(dir / "best" / ("ckpt_epoch_" + std::to_string(best) + ".pth"));
    REQUIRE(same.model.size() == b.model.size());
    for (size_t i = 0; i < b.model.size(); ++i) CHECK(torch::equal(b.model[i].second, same.model[i].second));
  }
  // A best top-1 carried over from the checkpoint counts: above 100 % no later epoch beats it and best.pth
  // stays the first epoch's; below 0 % the next epoch beats it and becomes best.pth.
  for (const double carried : {101.0, -1.0}) {
    DYNAMIC_SECTION("a resumed run whose best so far is " << carried << " %") {
      const std::string run = carried > 0 ? "unbeatable" : "beaten";
      const std::vector<std::string> two_epochs = {"TRAIN.EPOCHS", "2"};
      auto first = Trainer(config(dir, run, two_epochs), quiet(kStepsPerEpoch)).run();  // epoch 0, then stops
      REQUIRE(first.interrupted);
      REQUIRE(first.next_epoch == 1);
      auto ck = load_training_checkpoint(dir / run / "last.pth");
      REQUIRE(ck.epoch == 0);
      ck.max_accuracy = carried;
      save_training_checkpoint(dir / run / "last.pth", ck);
      const auto rest = Trainer(config(dir, run, two_epochs), quiet()).run();
      REQUIRE(rest.completed);
      REQUIRE(rest.last_eval);
      CHECK(rest.max_accuracy == Approx(std::max(carried, rest.last_eval->acc1)));
      CHECK(load_training_checkpoint(dir / run / "best.pth").epoch == (carried > 0 ? 0 : 1));
      CHECK(load_training_checkpoint(dir / run / "last.pth").max_accuracy == Approx(rest.max_accuracy));
    }
  }
}

TEST_CASE(
    "SAVE_FREQ writes ckpt_epoch_N.pth every SAVE_FREQ epochs and after the last, and the run folder holds "
    "what train/README.md lists",
    "[train][wiring][checkpoint]") {
  const auto dir = focal::test::temp_dir("wiring_save_freq");
  const auto result = Trainer(config(dir, "freq", {"TRAIN.EPOCHS", "5", "SAVE_FREQ", "3"}), quiet()).run();
  REQUIRE(result.completed);
  std::set<std::string> entries;
  for (const auto& e : fs::directory_iterator(dir / "freq")) entries.insert(e.path().filename().string());
  // Epochs 0 and 3 (0 and 3 are multiples of 3) and 4 (the last); nothing else, no temporary files left.
  const std::set<std::string> expected = {
      "config.yaml", "log.txt",  "metrics.csv",      "curves.png",       "tensorboard",
      "last.pth",    "best.pth", "ckpt_epoch_0.pth", "ckpt_epoch_3.pth", "ckpt_epoch_4.pth"};
  CHECK(entries == expected);
  for (int64_t e : {0, 3, 4}) {
    INFO("ckpt_epoch_" << e);
    const auto ck = load_training_checkpoint(dir / "freq" / ("ckpt_epoch_" + std::to_string(e) + ".pth"));
    CHECK(ck.epoch == e);
    CHECK(ck.step == (e + 1) * kStepsPerEpoch);
  }
  const auto last = load_training_checkpoint(dir / "freq" / "last.pth");
  CHECK(last.epoch == 4);
  CHECK(last.step == 5 * kStepsPerEpoch);
}

TEST_CASE("auto-resume takes the run folder's last.pth over --resume and says so",
          "[train][wiring][resume]") {
  const auto dir = focal::test::temp_dir("wiring_auto_resume");
  const std::vector<std::string> two_epochs = {"TRAIN.EPOCHS", "2"};
  // Another run's checkpoint, after its first epoch (step 4).
  REQUIRE(Trainer(config(dir, "other", two_epochs), quiet(kStepsPerEpoch)).run().interrupted);
  const auto other = dir / "other" / "last.pth";
  REQUIRE(load_training_checkpoint(other).step == kStepsPerEpoch);
  // Two runs stopped after 3 steps; their folders hold last.pth.
  REQUIRE(Trainer(config(dir, "auto", two_epochs), quiet(3)).run().interrupted);
  REQUIRE(Trainer(config(dir, "manual", two_epochs), quiet(3)).run().interrupted);

  auto resume_with = [&](const std::string& run, bool auto_resume) {
    std::vector<Step> steps;
    auto c = config(dir, run,
                    {"MODEL.RESUME", "'" + other.string() + "'", "TRAIN.AUTO_RESUME",
                     auto_resume ? "true" : "false", "TRAIN.EPOCHS", "2"});
    CHECK(Trainer(c, observing(steps, false)).run().completed);
    REQUIRE_FALSE(steps.empty());
    return steps.front().index;
  };
  // Auto-resume on: this run's last.pth (its step 3, not the other's step 4), with the original's warning.
  CHECK(resume_with("auto", true) == 3);
  const auto mine = dir / "auto" / "last.pth";
  const auto log = read_text(dir / "auto" / "log.txt");
  CHECK_THAT(log, Catch::Contains("auto-resume changes the resume file from " + other.string() + " to " +
                                  mine.string()));
  CHECK_THAT(log, Catch::Contains("Resuming from " + mine.string()));
  // Auto-resume off: --resume, and no warning.
  CHECK(resume_with("manual", false) == kStepsPerEpoch);
  const auto manual_log = read_text(dir / "manual" / "log.txt");
  CHECK_THAT(manual_log, Catch::Contains("Resuming from " + other.string()));
  CHECK_THAT(manual_log, !Catch::Contains("auto-resume changes the resume file"));
}

TEST_CASE("--eval evaluates the checkpoint without training and reports its accuracy",
          "[train][wiring][eval]") {
  const auto dir = focal::test::temp_dir("wiring_eval");
  REQUIRE(Trainer(config(dir, "trained",
                         {"TRAIN.EPOCHS", "2", "TRAIN.EMA.ENABLE", "true", "TRAIN.EMA.DECAY", "0.5"}),
                  quiet())
              .run()
              .completed);
  const auto rows = read_metrics_csv(dir / "trained" / "metrics.csv");
  REQUIRE(rows.size() == 2);
  const auto ckpt = dir / "trained" / "ckpt_epoch_0.pth";
  const auto cfg = resolve_config(parse_cli(
      {"--cfg", write_config(dir).string(), "--output", (dir / "out").string(), "--tag", "eval", "--eval",
       "--resume", ckpt.string(), "--opts", "TRAIN.EMA.ENABLE", "true", "TRAIN.EMA.DECAY", "0.5"}));
  const auto [r, run_dir] = run_without_training(cfg);
  // The weights of epoch 0 on the same validation images: the numbers that epoch's validation wrote.
  REQUIRE(r.last_eval);
  CHECK(r.last_eval->samples == kImages);
  CHECK(r.last_eval->acc1 == Approx(rows[0].val_acc1));
  CHECK(r.last_eval->loss == Approx(rows[0].val_loss).epsilon(1e-4));
  REQUIRE(r.last_eval_ema);
  CHECK(r.last_eval_ema->acc1 == Approx(rows[0].ema_val_acc1));
  CHECK(r.last_eval_ema->loss == Approx(rows[0].ema_val_loss).epsilon(1e-4));
  CHECK_FALSE(fs::exists(run_dir / "last.pth"));
  CHECK_FALSE(fs::exists(run_dir / "metrics.csv"));
  CHECK_THAT(read_text(run_dir / "log.txt"), Catch::Contains("acc@1") && Catch::Contains(ckpt.string()));
}

TEST_CASE("--throughput measures forward images/s without training and reports it",
          "[train][wiring][throughput]") {
  const auto dir = focal::test::temp_dir("wiring_throughput");
  const auto cfg = resolve_config(parse_cli({"--cfg", write_config(dir).string(), "--output",
                                             (dir / "out").string(), "--tag", "tp", "--throughput"}));
  const auto [r, run_dir] = run_without_training(cfg);
  CHECK(std::isfinite(r.throughput));
  CHECK(r.throughput > 0);
  CHECK_FALSE(fs::exists(run_dir / "last.pth"));
  CHECK_THAT(read_text(run_dir / "log.txt"), Catch::Contains("batch_size 4 throughput"));
}
