// The command line and configuration resolution of focal-train, and the errors a user sees for bad input.
#include "tests/support/test_env.h"
#include "train/cli.h"
#include "train/output/output_dir.h"
#include "train/recipe/train_settings.h"

#include <catch2/catch.hpp>

#include <fstream>

using namespace focal::train;

namespace {

std::filesystem::path write_cfg(const std::filesystem::path& dir, const std::string& name,
                                const std::string& text) {
  auto p = dir / name;
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST_CASE("command line parses the original options and ours", "[train][cli]") {
  auto a = parse_cli({"--cfg",
                      "x.yaml",
                      "--opts",
                      "TRAIN.EPOCHS",
                      "3",
                      "DATA.IMG_SIZE",
                      "32",
                      "--batch-size",
                      "16",
                      "--data-path",
                      "/d",
                      "--output",
                      "/o",
                      "--tag",
                      "t1",
                      "--resume",
                      "r.pth",
                      "--accumulation-steps",
                      "2",
                      "--use-checkpoint",
                      "--eval",
                      "--throughput",
                      "--pretrained",
                      "w.pth",
                      "--amp",
                      "bf16",
                      "--device",
                      "cpu",
                      "--epochs",
                      "7",
                      "--local_rank",
                      "0"});
  CHECK(a.cfg == "x.yaml");
  CHECK(a.opts == std::vector<std::string>{"TRAIN.EPOCHS", "3", "DATA.IMG_SIZE", "32"});
  CHECK(*a.batch_size == 16);
  CHECK(*a.data_path == "/d");
  CHECK(a.output == "/o");
  CHECK(*a.tag == "t1");
  CHECK(*a.resume == "r.pth");
  CHECK(*a.accumulation_steps == 2);
  CHECK(a.use_checkpoint);
  CHECK(a.eval);
  CHECK(a.throughput);
  CHECK(*a.pretrained == "w.pth");
  CHECK(*a.amp == "bf16");
  CHECK(*a.epochs == 7);

  CHECK_THROWS_WITH(parse_cli({"--cfg", "x.yaml", "--bogus"}), Catch::Contains("--bogus"));
  CHECK_THROWS_WITH(parse_cli({"--batch-size", "8"}), Catch::Contains("--cfg"));
  CHECK_THROWS_WITH(parse_cli({"--cfg", "x.yaml", "--batch-size", "many"}), Catch::Contains("--batch-size"));
  CHECK_THROWS_WITH(parse_cli({"--cfg", "x.yaml", "--opts", "TRAIN.EPOCHS"}), Catch::Contains("KEY VALUE"));
  CHECK_THROWS_WITH(parse_cli({"--cfg", "x.yaml", "--amp", "fp8"}), Catch::Contains("fp8"));
  CHECK_THROWS_WITH(parse_cli({"--cfg", "x.yaml", "--device", "tpu"}), Catch::Contains("tpu"));
  CHECK(parse_cli({"--help"}).help);
}

TEST_CASE("config resolution: file, then --opts, then options, and the output folder per model and tag",
          "[train][cli]") {
  auto dir = focal::test::temp_dir("cli_cfg");
  auto cfg = write_cfg(
      dir, "run.yaml",
      "MODEL:\n  NAME: tiny_test\nDATA:\n  BATCH_SIZE: 8\n  DATASET: synthetic\nTRAIN:\n  EPOCHS: 5\n");
  auto c = resolve_config(parse_cli({"--cfg", cfg.string(), "--opts", "TRAIN.EPOCHS", "6", "DATA.BATCH_SIZE",
                                     "12", "--batch-size", "10", "--tag", "exp1", "--output",
                                     (dir / "out").string(), "--amp", "bf16", "--pretrained", "w.pth"}));
  CHECK(c.get<int64_t>("TRAIN.EPOCHS") == 6);      // --opts over the file
  CHECK(c.get<int64_t>("DATA.BATCH_SIZE") == 10);  // --batch-size over --opts, as the original
  CHECK(c.get<std::string>("TRAIN.AMP") == "bf16");
  CHECK(c.get<std::string>("TRAIN.PRETRAINED") == "w.pth");
  CHECK(c.get<std::string>("OUTPUT") == (dir / "out" / "tiny_test" / "exp1").string());
  auto e = resolve_config(parse_cli({"--cfg", cfg.string(), "--epochs", "2", "--output", "o"}));
  CHECK(e.get<int64_t>("TRAIN.EPOCHS") == 2);
  CHECK(e.get<std::string>("OUTPUT") == "o/tiny_test/default");
}

TEST_CASE("a malformed config key is an error naming the key and the file", "[train][cli]") {
  auto dir = focal::test::temp_dir("cli_bad");
  auto cfg = write_cfg(dir, "bad.yaml", "TRAIN:\n  EPOCHS: 3\n  WARMUP_EPOCS: 1\n");
  try {
    resolve_config(parse_cli({"--cfg", cfg.string()}));
    FAIL("no error for an unknown key");
  } catch (const std::exception& e) {
    std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("TRAIN.WARMUP_EPOCS"));
    CHECK_THAT(msg, Catch::Contains("bad.yaml"));
  }
  auto typed = write_cfg(dir, "typed.yaml", "DATA:\n  BATCH_SIZE: lots\n");
  CHECK_THROWS_WITH(resolve_config(parse_cli({"--cfg", typed.string()})),
                    Catch::Contains("DATA.BATCH_SIZE") && Catch::Contains("typed.yaml"));
  CHECK_THROWS_WITH(resolve_config(parse_cli({"--cfg", cfg.string() + ".missing"})),
                    Catch::Contains(".missing"));
  // Values the schema accepts but the trainer cannot use name their key too.
  auto ok = write_cfg(dir, "ok.yaml", "TRAIN:\n  EPOCHS: 3\n");
  auto c = resolve_config(parse_cli({"--cfg", ok.string(), "--opts", "TRAIN.EMA.DECAY", "1.5"}));
  CHECK_THROWS_WITH(settings_from_config(c, {}), Catch::Contains("TRAIN.EMA.DECAY"));
  auto odd = resolve_config(parse_cli({"--cfg", ok.string(), "--batch-size", "7"}));
  CHECK_THROWS_WITH(settings_from_config(odd, {}), Catch::Contains("DATA.BATCH_SIZE"));  // Mixup needs pairs
}

TEST_CASE("settings: scaled LR, schedule in iterations, loss and Mixup choice", "[train][cli]") {
  auto dir = focal::test::temp_dir("cli_settings");
  auto cfg = write_cfg(dir, "s.yaml", "DATA:\n  BATCH_SIZE: 64\nTRAIN:\n  EPOCHS: 10\n  WARMUP_EPOCHS: 2\n");
  auto c = resolve_config(parse_cli({"--cfg", cfg.string(), "--accumulation-steps", "2"}));
  auto s = settings_from_config(c, {});
  CHECK(s.base_lr == Approx(5e-4 * 64 / 512.0 * 2));
  CHECK(s.warmup_lr == Approx(5e-7 * 64 / 512.0 * 2));
  CHECK(s.min_lr == Approx(5e-6 * 64 / 512.0 * 2));
  CHECK(s.accumulation_steps == 2);
  CHECK(s.clip_grad == 5.0);
  CHECK(s.mixup.has_value());  // defaults: MIXUP 0.8, CUTMIX 1.0
  CHECK(s.mixup->label_smoothing == Approx(0.1));
  auto so = scheduler_options(s, 100);
  CHECK(so.t_initial() == 1000);
  CHECK(so.warmup_t() == 200);
  CHECK(so.lr_min() == Approx(s.min_lr));
  auto no_mix =
      resolve_config(parse_cli({"--cfg", cfg.string(), "--opts", "AUG.MIXUP", "0.0", "AUG.CUTMIX", "0.0"}));
  CHECK_FALSE(settings_from_config(no_mix, {}).mixup.has_value());
}

TEST_CASE("an output folder that cannot be written is reported before training", "[train][cli]") {
  auto dir = focal::test::temp_dir("outdir");
  prepare_output_dir(dir / "a" / "b");
  CHECK(std::filesystem::is_directory(dir / "a" / "b"));
  CHECK(std::filesystem::is_empty(dir / "a" / "b"));  // the probe file is gone
  // A path below a regular file can never be created (also for root, who ignores permission bits).
  std::ofstream(dir / "file") << "x";
  CHECK_THROWS_WITH(prepare_output_dir(dir / "file" / "run"),
                    Catch::Contains((dir / "file" / "run").string()) && Catch::Contains("cannot be created"));
  CHECK_THROWS_WITH(prepare_output_dir(dir / "file"), Catch::Contains("not a folder"));
  CHECK(run_directory("out", "m", "t") == std::filesystem::path("out/m/t"));
}
