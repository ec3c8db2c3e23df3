// --eval and --resume take every checkpoint layout that --pretrained takes (released weights, a legacy bare
// state dict, timm-style files, EMA entries, training checkpoints of the original main.py and ours), and
// resuming a checkpoint of the original main.py continues its parameter groups, moments, LR position and
// epoch; a checkpoint whose optimizer does not match is a clear error, and --no-resume-opt resumes its
// weights and schedule with a fresh optimizer. The references: PyTorch's AdamW and timm's scheduler
// (tests/train/resume_reference.py).
#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"
#include "tests/support/tiny_configs.h"
#include "train/checkpoint/training_checkpoint.h"
#include "train/trainer.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

using namespace focal::train;

namespace {

const std::filesystem::path kFixtures = focal::test::fixtures_dir();

// The architecture of the focal_micro_224 fixture (focal_micro_224.json) on synthetic 224-pixel images,
// with the schedule of focal_micro_224.train_ckpt_groups.pth: 300 epochs of 10 steps (20 images, batch 2),
// 20 warm-up epochs, LR 1e-3 (warm-up 1e-6, min 1e-5) once scaled by batch 2 / 512.
focal::Config micro_config(const std::filesystem::path& out, const std::vector<std::string>& opts = {}) {
  auto c = focal::Config::defaults();
  c.merge_opts(focal::test::focal_micro_opts());
  c.merge_opts({"MODEL.NAME",          "focal_micro_224",
                "MODEL.NUM_CLASSES",   "10",
                "DATA.DATASET",        "synthetic",
                "DATA.IMG_SIZE",       "224",
                "DATA.BATCH_SIZE",     "2",
                "DATA.NUM_WORKERS",    "1",
                "TRAIN.EPOCHS",        "300",
                "TRAIN.WARMUP_EPOCHS", "20",
                "TRAIN.BASE_LR",       "0.256",
                "TRAIN.WARMUP_LR",     "0.000256",
                "TRAIN.MIN_LR",        "0.00256",
                "PRINT_FREQ",          "5"});
  if (!opts.empty()) c.merge_opts(opts);
  c.set("OUTPUT", "'" + out.string() + "'");
  return c;
}

TrainerOptions quiet(int64_t images, int64_t stop_after = 0) {
  return TrainerOptions().synthetic_size(images).console(false).stop_after_steps(stop_after);
}

std::string fixture(const std::string& name) { return (kFixtures / name).string(); }

struct Evaluation {
  double loss = 0, ema_loss = 0;
};

// Evaluates `checkpoint` as `focal-train --eval --resume checkpoint` does, on 4 synthetic images.
Evaluation evaluate_checkpoint(const std::filesystem::path& dir, const std::string& tag,
                               const std::string& checkpoint, bool ema = false) {
  std::vector<std::string> opts = {"EVAL_MODE", "true", "TRAIN.EMA.ENABLE", ema ? "true" : "false"};
  if (!checkpoint.empty()) opts.insert(opts.end(), {"MODEL.RESUME", "'" + checkpoint + "'"});
  auto r = Trainer(micro_config(dir / tag, opts), quiet(4)).run();
  REQUIRE(r.last_eval);
  Evaluation e{r.last_eval->loss, 0};
  if (ema) {
    REQUIRE(r.last_eval_ema);
    e.ema_loss = r.last_eval_ema->loss;
  }
  return e;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shell_quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

TEST_CASE("--eval --resume takes every layout that --pretrained takes", "[train][resume][eval][fixtures]") {
  if (!focal::test::have_fixtures()) FOCAL_SKIP_MISSING("fixtures folder absent: " + kFixtures.string());
  auto dir = focal::test::temp_dir("eval_layouts");
  // The same weights in three layouts give the same evaluation, bit for bit; other weights do not.
  const auto zip = evaluate_checkpoint(dir, "zip", fixture("focal_micro_224.pth"));
  CHECK(std::isfinite(zip.loss));
  CHECK(evaluate_checkpoint(dir, "legacy", fixture("focal_micro_224.legacy.pth")).loss == zip.loss);
  const auto later = evaluate_checkpoint(dir, "train_ckpt", fixture("focal_micro_224.train_ckpt.pth"));
  CHECK(later.loss != zip.loss);  // its weights are one AdamW step later
  const auto groups = evaluate_checkpoint(dir, "groups", fixture("focal_micro_224.train_ckpt_groups.pth"));
  CHECK(groups.loss != zip.loss);
  CHECK(groups.loss != later.loss);
  CHECK(evaluate_checkpoint(dir, "untrained", "").loss != zip.loss);
  CHECK_THAT(read_text(dir / "untrained" / "log.txt"), Catch::Contains("evaluates untrained weights"));
  CHECK_THAT(read_text(dir / "zip" / "log.txt"),
             Catch::Contains("weights only (under 'model')") && !Catch::Contains("untrained"));

  // --eval of --pretrained weights evaluates them, and says so (no "untrained" warning).
  auto pretrained = Trainer(micro_config(dir / "pretrained", {"EVAL_MODE", "true", "TRAIN.PRETRAINED",
                                                              "'" + fixture("focal_micro_224.pth") + "'"}),
                            quiet(4))
                        .run();
  REQUIRE(pretrained.last_eval);
  CHECK(pretrained.last_eval->loss == zip.loss);
  CHECK_THAT(read_text(dir / "pretrained" / "log.txt"),
             Catch::Contains("--pretrained weights") && !Catch::Contains("evaluates untrained"));

  // Our own training checkpoint (last.pth) evaluates like the weights it was written from.
  auto from =
      Trainer(micro_config(dir / "ours", {"TRAIN.BASE_LR", "0.0", "TRAIN.WARMUP_LR", "0.0", "TRAIN.MIN_LR",
                                          "0.0", "MODEL.RESUME", "'" + fixture("focal_micro_224.pth") + "'"}),
              quiet(4, 1))
          .run();
  REQUIRE(from.interrupted);
  CHECK(evaluate_checkpoint(dir, "ours_eval", (dir / "ours" / "last.pth").string()).loss == zip.loss);
}

TEST_CASE("--eval --resume takes timm-style layouts and EMA entries",
          "[train][resume][eval][fixtures][python]") {
  if (!focal::test::have_fixtures()) FOCAL_SKIP_MISSING("fixtures folder absent: " + kFixtures.string());
  auto py = focal::test::reference_python("torch");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch to write the timm-style layouts");
  auto dir = focal::test::temp_dir("eval_layouts_py");
  const auto script = std::filesystem::path(FOCAL_SOURCE_DIR) / "tests" / "train" / "resume_reference.py";
  REQUIRE(focal::test::run_command(shell_quoted(*py) + " " + shell_quoted(script.string()) + " layouts " +
                                   shell_quoted(kFixtures.string()) + " " + shell_quoted(dir.string())) == 0);
  const auto zip = evaluate_checkpoint(dir, "zip", fixture("focal_micro_224.pth"));
  const auto later = evaluate_checkpoint(dir, "train_ckpt", fixture("focal_micro_224.train_ckpt.pth"));
  REQUIRE(later.loss != zip.loss);
  // timm's train.py layout: 'state_dict' with DataParallel's 'module.', an optimizer but no lr_scheduler.
  CHECK(evaluate_checkpoint(dir, "timm", (dir / "timm_module.pth").string()).loss == zip.loss);
  CHECK(evaluate_checkpoint(dir, "ema_only", (dir / "ema_only.pth").string()).loss == zip.loss);
  // With an EMA entry beside the weights, the EMA model evaluates the EMA weights.
  const auto with_ema = evaluate_checkpoint(dir, "with_ema", (dir / "with_ema.pth").string(), /*ema=*/true);
  CHECK(with_ema.loss == zip.loss);
  CHECK(with_ema.ema_loss == later.loss);
}

TEST_CASE("--resume of weights only trains from epoch 0 starting at those weights",
          "[train][resume][fixtures]") {
  if (!focal::test::have_fixtures()) FOCAL_SKIP_MISSING("fixtures folder absent: " + kFixtures.string());
  auto dir = focal::test::temp_dir("resume_weights");
  const auto expected = focal::io::read_state_dict(fixture("focal_micro_224.pth"));
  // LR 0: the one step taken before the stop leaves the weights as they were loaded.
  const std::vector<std::string> zero_lr = {"TRAIN.BASE_LR", "0.0",          "TRAIN.WARMUP_LR",
                                            "0.0",           "TRAIN.MIN_LR", "0.0"};
  for (const char* layout : {"focal_micro_224.pth", "focal_micro_224.legacy.pth"}) {
    INFO(layout);
    auto opts = zero_lr;
    opts.insert(opts.end(), {"MODEL.RESUME", "'" + fixture(layout) + "'"});
    const auto run = dir / layout;
    auto r = Trainer(micro_config(run, opts), quiet(4, 1)).run();
    REQUIRE(r.interrupted);
    auto ck = load_training_checkpoint(run / "last.pth");
    CHECK(ck.loader_epoch == 0);
    CHECK(ck.loader_next_batch == 1);
    CHECK(ck.step == 1);
    std::map<std::string, torch::Tensor> saved(ck.model.begin(), ck.model.end());
    for (const auto& [name, tensor] : expected) {
      INFO(name);
      REQUIRE(saved.count(name));
      CHECK(torch::equal(saved[name], tensor));
    }
    CHECK_THAT(read_text(run / "log.txt"),
               Catch::Contains("holds weights only") && Catch::Contains("epoch 0"));
  }
}

TEST_CASE("resuming a checkpoint of the original main.py continues its groups, moments, LR and epoch",
          "[train][resume][fixtures][python]") {
  if (!focal::test::have_fixtures()) FOCAL_SKIP_MISSING("fixtures folder absent: " + kFixtures.string());
  auto py = focal::test::reference_python("torch, timm");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch and timm for the AdamW / CosineLRScheduler reference");
  auto dir = focal::test::temp_dir("resume_original");
  const auto original = fixture("focal_micro_224.train_ckpt_groups.pth");
  // 20 images of batch 2: the fixture's 10 steps per epoch. One step, then last.pth.
  auto r = Trainer(micro_config(dir / "run", {"MODEL.RESUME", "'" + original + "'"}), quiet(20, 1)).run();
  REQUIRE(r.interrupted);
  const auto script = std::filesystem::path(FOCAL_SOURCE_DIR) / "tests" / "train" / "resume_reference.py";
  const auto report = dir / "report.txt";
  const int rc = focal::test::run_command(
      shell_quoted(*py) + " " + shell_quoted(script.string()) + " continued " + shell_quoted(original) + " " +
      shell_quoted((dir / "run" / "last.pth").string()) + " 10 > " + shell_quoted(report.string()) + " 2>&1");
  INFO(read_text(report));
  CHECK(rc == 0);
}

TEST_CASE("a checkpoint whose optimizer does not match names the mismatch and the way out",
          "[train][resume][fixtures]") {
  if (!focal::test::have_fixtures()) FOCAL_SKIP_MISSING("fixtures folder absent: " + kFixtures.string());
  auto dir = focal::test::temp_dir("resume_mismatch");
  const auto one_group = fixture("focal_micro_224.train_ckpt.pth");  // AdamW over a single group
  CHECK_THROWS_WITH(
      Trainer(micro_config(dir / "refused", {"MODEL.RESUME", "'" + one_group + "'"}), quiet(20, 1)).run(),
      Catch::Contains("focal_micro_224.train_ckpt.pth") && Catch::Contains("1 parameter group") &&
          Catch::Contains("2 parameter groups") && Catch::Contains("--no-resume-opt"));
}

TEST_CASE("--no-resume-opt resumes weights, epoch and LR position with a fresh optimizer",
          "[train][resume][fixtures][python]") {
  if (!focal::test::have_fixtures()) FOCAL_SKIP_MISSING("fixtures folder absent: " + kFixtures.string());
  auto py = focal::test::reference_python("torch, timm");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch and timm for the AdamW / CosineLRScheduler reference");
  auto dir = focal::test::temp_dir("resume_fresh");
  const auto one_group = fixture("focal_micro_224.train_ckpt.pth");
  auto r = Trainer(micro_config(dir / "fresh", {"MODEL.RESUME", "'" + one_group + "'"}),
                   quiet(20, 1).resume_optimizer(false))
               .run();
  REQUIRE(r.interrupted);
  auto ck = load_training_checkpoint(dir / "fresh" / "last.pth");
  CHECK(ck.loader_epoch == 4);  // the fixture's epoch 3 is done
  CHECK(ck.max_accuracy == 12.5);
  CHECK_THAT(read_text(dir / "fresh" / "log.txt"), Catch::Contains("--no-resume-opt"));
  const auto script = std::filesystem::path(FOCAL_SOURCE_DIR) / "tests" / "train" / "resume_reference.py";
  const auto report = dir / "report.txt";
  // The configuration's schedule: 300 epochs of 10 steps, 20 warm-up, LR keys of micro_config at batch 2.
  const int rc = focal::test::run_command(
      shell_quoted(*py) + " " + shell_quoted(script.string()) + " fresh " + shell_quoted(one_group) + " " +
      shell_quoted((dir / "fresh" / "last.pth").string()) + " 10 300 20 0.256 0.000256 0.00256 2 > " +
      shell_quoted(report.string()) + " 2>&1");
  INFO(read_text(report));
  CHECK(rc == 0);
}
