// The training driver end to end on a tiny Focal model and synthetic images: a run's files, resuming after an
// interruption in the middle of an epoch gives bit-identical weights, fine-tuning from a released-format
// checkpoint into another class count and window size, and errors before training.
#include "train/trainer.h"
#include "focal/io/checkpoint.h"
#include "focal/io/state_dict.h"
#include "focal/zoo/model_zoo.h"
#include "tests/support/finetune_reference.h"
#include "tests/support/test_env.h"
#include "tests/support/tiny_configs.h"
#include "train/checkpoint/pretrained_loader.h"
#include "train/checkpoint/training_checkpoint.h"
#include "train/output/metrics_csv.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace focal::train;

namespace {

focal::Config tiny_config(const std::filesystem::path& dir, const std::string& tag,
                          const std::vector<std::string>& opts = {}) {
  auto cfg = dir / "tiny.yaml";
  if (!std::filesystem::exists(cfg)) {
    focal::test::TinyFocalRun run;
    run.name = "tiny_trainer_test";
    std::ofstream(cfg) << focal::test::tiny_focal_yaml(run);
  }
  auto c = focal::Config::from_file(cfg.string());
  if (!opts.empty()) c.merge_opts(opts);
  c.set("OUTPUT", "'" + (dir / tag).string() + "'");
  return c;
}

TrainerOptions quiet(int64_t stop_after = 0) {
  return TrainerOptions().synthetic_size(24).console(false).stop_after_steps(stop_after);
}

void require_same_state_dict(const focal::io::StateDict& a, const focal::io::StateDict& b,
                             const std::string& what) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(what << " " << a[i].first);
    REQUIRE(a[i].first == b[i].first);
    CHECK(torch::equal(a[i].second, b[i].second));
  }
}

void require_same_optimizer(const c10::IValue& a, const c10::IValue& b) {
  auto sa = a.toGenericDict().at("state").toGenericDict();
  auto sb = b.toGenericDict().at("state").toGenericDict();
  REQUIRE(sa.size() == sb.size());
  for (const auto& e : sa) {
    auto x = e.value().toGenericDict();
    auto y = sb.at(e.key()).toGenericDict();
    INFO("optimizer state " << e.key().toInt());
    CHECK(torch::equal(x.at("step").toTensor(), y.at("step").toTensor()));
    CHECK(torch::equal(x.at("exp_avg").toTensor(), y.at("exp_avg").toTensor()));
    CHECK(torch::equal(x.at("exp_avg_sq").toTensor(), y.at("exp_avg_sq").toTensor()));
  }
}

}  // namespace

TEST_CASE("a run writes its config, log, metrics, curves, TensorBoard events and checkpoints",
          "[train][trainer]") {
  auto dir = focal::test::temp_dir("trainer_run");
  Trainer trainer(tiny_config(dir, "run"), quiet());
  auto result = trainer.run();
  CHECK(result.completed);
  CHECK_FALSE(result.interrupted);
  CHECK(result.steps == 2 * 6);  // 24 images / batch 4, two epochs
  REQUIRE(result.last_eval);
  REQUIRE(result.last_eval_ema);
  CHECK(result.last_eval->samples == 24);
  CHECK(std::isfinite(result.last_eval->loss));
  CHECK(result.last_eval->acc5 >= result.last_eval->acc1);
  const auto run = dir / "run";
  for (const char* f : {"config.yaml", "log.txt", "metrics.csv", "curves.png", "last.pth", "best.pth",
                        "ckpt_epoch_0.pth", "ckpt_epoch_1.pth"}) {
    INFO(f);
    CHECK(std::filesystem::exists(run / f));
  }
  CHECK(std::filesystem::directory_iterator(run / "tensorboard") != std::filesystem::directory_iterator());
  auto rows = read_metrics_csv(run / "metrics.csv");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].epoch == 1);
  CHECK(rows[1].step == 12);
  CHECK(rows[1].val_acc1 == Approx(result.last_eval->acc1));
  CHECK(rows[1].ema_val_acc1 == Approx(result.last_eval_ema->acc1));
  // The saved config is the resolved one and loads again.
  auto saved = focal::Config::from_file((run / "config.yaml").string());
  CHECK(saved.get<int64_t>("MODEL.NUM_CLASSES") == 5);
  CHECK(saved.get<std::string>("OUTPUT") == run.string());
  std::ifstream log(run / "log.txt");
  std::stringstream text;
  text << log.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains("Train: [1/2][4/6]") && Catch::Contains("grad_norm") &&
                             Catch::Contains("Max accuracy"));
  auto ck = load_training_checkpoint(run / "last.pth");
  CHECK(ck.epoch == 1);
  CHECK(ck.step == 12);
  CHECK(ck.model_ema.has_value());

  // A second run in the same folder resumes from last.pth and has nothing left to do.
  Trainer again(tiny_config(dir, "run"), quiet());
  auto r2 = again.run();
  CHECK(r2.completed);
  CHECK(r2.steps == 12);
}

TEST_CASE("resuming after a stop in the middle of an epoch is bit-identical to an uninterrupted run",
          "[train][trainer][resume]") {
  auto dir = focal::test::temp_dir("trainer_resume");
  // Mixup/CutMix and drop path draw random numbers every step; accumulation 2 checks the step boundaries.
  const std::vector<std::string> opts = {"TRAIN.ACCUMULATION_STEPS", "2"};
  SECTION("plain steps") {
    auto full = Trainer(tiny_config(dir, "full"), quiet()).run();
    REQUIRE(full.completed);
    // Stop after 4 steps (epoch 0, batch 4 of 6), then after 5 more (epoch 1, batch 3 of 6), then finish.
    auto part1 = Trainer(tiny_config(dir, "parts"), quiet(4)).run();
    REQUIRE(part1.interrupted);
    auto mid = load_training_checkpoint(dir / "parts" / "last.pth");
    CHECK(mid.epoch == -1);
    CHECK(mid.loader_epoch == 0);
    CHECK(mid.loader_next_batch == 4);
    auto part2 = Trainer(tiny_config(dir, "parts"), quiet(5)).run();
    REQUIRE(part2.interrupted);
    auto part3 = Trainer(tiny_config(dir, "parts"), quiet()).run();
    REQUIRE(part3.completed);
    CHECK(part3.steps == full.steps);

    auto a = load_training_checkpoint(dir / "full" / "last.pth");
    auto b = load_training_checkpoint(dir / "parts" / "last.pth");
    require_same_state_dict(a.model, b.model, "model");
    require_same_state_dict(*a.model_ema, *b.model_ema, "model_ema");
    require_same_optimizer(a.optimizer, b.optimizer);
    CHECK(torch::equal(a.rng_torch, b.rng_torch));
    CHECK(torch::equal(a.rng_mixup, b.rng_mixup));
    CHECK(a.max_accuracy == b.max_accuracy);
    auto ra = read_metrics_csv(dir / "full" / "metrics.csv");
    auto rb = read_metrics_csv(dir / "parts" / "metrics.csv");
    REQUIRE(ra.size() == rb.size());
    for (size_t i = 0; i < ra.size(); ++i) {
      CHECK(ra[i].train_loss == rb[i].train_loss);  // the partial epoch's sums were carried over
      CHECK(ra[i].val_loss == rb[i].val_loss);
      CHECK(ra[i].lr == rb[i].lr);
    }
  }
  SECTION("gradient accumulation") {
    auto full = Trainer(tiny_config(dir, "acc_full", opts), quiet()).run();
    REQUIRE(full.completed);
    CHECK(full.steps == 2 * 3);
    auto part1 = Trainer(tiny_config(dir, "acc_parts", opts), quiet(1)).run();  // after batch 2 of epoch 0
    REQUIRE(part1.interrupted);
    CHECK(load_training_checkpoint(dir / "acc_parts" / "last.pth").loader_next_batch == 2);
    auto part2 = Trainer(tiny_config(dir, "acc_parts", opts), quiet()).run();
    REQUIRE(part2.completed);
    auto a = load_training_checkpoint(dir / "acc_full" / "last.pth");
    auto b = load_training_checkpoint(dir / "acc_parts" / "last.pth");
    require_same_state_dict(a.model, b.model, "model");
    require_same_optimizer(a.optimizer, b.optimizer);
  }
}

TEST_CASE("mixed precision bf16 trains on the CPU", "[train][trainer][amp]") {
  auto dir = focal::test::temp_dir("trainer_bf16");
  auto r = Trainer(tiny_config(dir, "bf16", {"TRAIN.AMP", "bf16", "TRAIN.EPOCHS", "1"}), quiet()).run();
  CHECK(r.completed);
  REQUIRE(r.last_eval);
  CHECK(std::isfinite(r.last_eval->loss));
}

TEST_CASE("mixed precision fp16 with loss scaling trains on the GPU", "[train][trainer][amp][cuda]") {
  auto dir = focal::test::temp_dir("trainer_fp16");
  auto r =
      Trainer(tiny_config(dir, "fp16", {"TRAIN.AMP", "fp16", "TRAIN.EPOCHS", "1"}), quiet().device("cuda"))
          .run();
  CHECK(r.completed);
  REQUIRE(r.last_eval);
  CHECK(std::isfinite(r.last_eval->loss));
  auto ck = load_training_checkpoint(dir / "fp16" / "last.pth");
  CHECK(ck.scaler.toGenericDict().at("scale").toDouble() > 0);
  CHECK(ck.rng_cuda.defined());
}

TEST_CASE("an output folder that cannot be created stops the trainer before training", "[train][trainer]") {
  auto dir = focal::test::temp_dir("trainer_badout");
  std::ofstream(dir / "blocker") << "a file where the run folder should go";
  auto c = tiny_config(dir, "unused");
  c.set("OUTPUT", "'" + (dir / "blocker" / "run").string() + "'");
  CHECK_THROWS_WITH(Trainer(c, quiet()),
                    Catch::Contains("blocker/run") && Catch::Contains("cannot be created"));
}

namespace {

// The fixture's architecture (focal_micro_224.json) with 7 classes and window 5 at 160 pixels (maps
// 40/20/10/5), loaded from the fixture's released-format weights.
struct Finetuned {
  std::string weights = (focal::test::fixtures_dir() / "focal_micro_224.pth").string();
  focal::Classifier model;
  PretrainedReport report;
  Finetuned() {
    auto c = focal::Config::defaults();
    c.merge_opts(focal::test::focal_micro_opts(5));
    c.merge_opts({"MODEL.NUM_CLASSES", "7", "DATA.IMG_SIZE", "160"});
    torch::manual_seed(0);
    model = focal::create_model_from_config(c);
    report = load_pretrained(*model, weights);
  }
  torch::Tensor param(const std::string& n) { return *model->named_parameters().find(n); }
};

}  // namespace

TEST_CASE("fine-tuning from released weights into another class count and window size",
          "[train][finetune][fixtures]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures folder absent: " + focal::test::fixtures_dir().string());
  Finetuned f;
  auto& report = f.report;
  INFO(report.summary());
  auto src = focal::io::read_state_dict(f.weights);
  std::map<std::string, torch::Tensor> ref(src.begin(), src.end());
  auto mine = [&](const std::string& n) { return f.param(n); };
  auto listed = [](const std::vector<std::string>& v, const std::string& prefix) {
    return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.rfind(prefix, 0) == 0; });
  };

  // The head: 10 -> 7 classes, re-initialised and reported.
  CHECK(f.model->num_classes() == 7);
  CHECK(mine("head.weight").size(0) == 7);
  CHECK(listed(report.reinitialized, "head.weight"));
  CHECK(listed(report.reinitialized, "head.bias"));
  // Tensors whose shape does not depend on the window are copied.
  CHECK(torch::equal(mine("layers.1.blocks.0.attn.qkv.weight"), ref["layers.1.blocks.0.attn.qkv.weight"]));
  CHECK(torch::equal(mine("patch_embed.proj.weight"), ref["patch_embed.proj.weight"]));
  // The window table (2*7-1)^2 -> (2*5-1)^2 rows per head is resized and reported.
  const std::string table = "layers.0.blocks.0.attn.relative_position_bias_table";
  CHECK(mine(table).sizes() == torch::IntArrayRef({81, 1}));
  CHECK(listed(report.resized, table + ":"));
  // Neighbour tables change shape with the window: re-initialised and reported, small trunc-normal values.
  const std::string neighbors = "layers.0.blocks.0.attn.relative_position_bias_table_to_neighbors";
  CHECK(listed(report.reinitialized, neighbors));
  CHECK(mine(neighbors).abs().max().item<double>() < 0.2);
  CHECK(mine(neighbors).std().item<double>() == Approx(0.02).epsilon(0.3));
  // Geometry buffers are never copied.
  CHECK(listed(report.skipped, "layers.0.blocks.0.attn.relative_position_index"));
  CHECK_FALSE(report.summary().empty());
}

TEST_CASE("fine-tuning resizes relative-position tables as PyTorch's bicubic interpolation does",
          "[train][finetune][fixtures][python]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures folder absent: " + focal::test::fixtures_dir().string());
  auto py = focal::test::reference_python("torch");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch for the interpolation reference");
  Finetuned f;
  // The resized tables equal PyTorch's bicubic interpolation (align_corners=False) of the originals.
  focal::test::check_resized_as_bicubic(*py, f.weights, f.report.resized, *f.model,
                                        focal::test::temp_dir("finetune_ref"));
}
