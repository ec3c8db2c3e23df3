// What a run checks and says before it trains: MODEL.NUM_CLASSES against the data set's classes, fp16 on the
// CPU, no empty run folder left by a run that fails before training, a finished run that says it is
// complete, and the tick labels of curves.png.
#include "tests/support/test_env.h"
#include "train/output/training_plot.h"
#include "train/trainer.h"

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <set>
#include <sstream>

using namespace focal::train;

namespace {

// 32x32 images, patch 4, window 4, two focal levels: a few thousand parameters.
focal::Config tiny_config(const std::filesystem::path& run, const std::vector<std::string>& opts = {}) {
  auto c = focal::Config::defaults();
  c.merge_opts({"MODEL.NAME",
                "tiny_start_checks",
                "MODEL.NUM_CLASSES",
                "3",
                "MODEL.FOCAL.PATCH_SIZE",
                "4",
                "MODEL.FOCAL.EMBED_DIM",
                "8",
                "MODEL.FOCAL.DEPTHS",
                "[1, 1]",
                "MODEL.FOCAL.NUM_HEADS",
                "[1, 2]",
                "MODEL.FOCAL.WINDOW_SIZE",
                "4",
                "MODEL.FOCAL.FOCAL_POOL",
                "fc",
                "MODEL.FOCAL.FOCAL_STAGES",
                "[0, 1]",
                "MODEL.FOCAL.FOCAL_LEVELS",
                "[2, 2]",
                "MODEL.FOCAL.FOCAL_WINDOWS",
                "[3, 1]",
                "MODEL.FOCAL.EXPAND_STAGES",
                "[0, 1]",
                "MODEL.FOCAL.EXPAND_SIZES",
                "[2, 1]",
                "DATA.DATASET",
                "synthetic",
                "DATA.IMG_SIZE",
                "32",
                "DATA.BATCH_SIZE",
                "4",
                "DATA.NUM_WORKERS",
                "1",
                "TRAIN.EPOCHS",
                "1",
                "TRAIN.WARMUP_EPOCHS",
                "0",
                "AUG.MIXUP",
                "0.0",
                "AUG.CUTMIX",
                "0.0",
                "TEST.CROP",
                "false"});
  if (!opts.empty()) c.merge_opts(opts);
  c.set("OUTPUT", "'" + run.string() + "'");
  return c;
}

TrainerOptions quiet() { return TrainerOptions().synthetic_size(8).console(false); }

// A class-folder data set of `classes` folders with two 8x8 PNG images each.
std::filesystem::path image_folders(const std::filesystem::path& root, int classes) {
  for (int k = 0; k < classes; ++k) {
    const auto folder = root / ("class_" + std::to_string(k));
    std::filesystem::create_directories(folder);
    for (int i = 0; i < 2; ++i) {
      cv::Mat image(8, 8, CV_8UC3, cv::Scalar(40 * k, 20 * i, 100));
      REQUIRE(cv::imwrite((folder / (std::to_string(i) + ".png")).string(), image));
    }
  }
  return root;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t occurrences(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("MODEL.NUM_CLASSES smaller than the data set's classes is refused before training",
          "[train][start]") {
  auto dir = focal::test::temp_dir("start_classes");
  const auto data = image_folders(dir / "data", 3);
  const auto run = dir / "out" / "run";
  auto config = tiny_config(run, {"DATA.DATASET", "folder", "DATA.DATA_PATH", "'" + data.string() + "'",
                                  "MODEL.NUM_CLASSES", "2", "DATA.BATCH_SIZE", "2"});
  CHECK_THROWS_WITH(Trainer(config, quiet()).run(),
                    Catch::Contains("MODEL.NUM_CLASSES is 2") && Catch::Contains("has 3 classes") &&
                        Catch::Contains(data.string()) && Catch::Contains("--num-classes 3"));
  // It failed before training: the run folder it created is gone again, parents included.
  CHECK_FALSE(std::filesystem::exists(run));
  CHECK_FALSE(std::filesystem::exists(dir / "out"));

  // With the right count the run starts, and says that the folder data set validates on its training images.
  auto ok = tiny_config(run, {"DATA.DATASET", "folder", "DATA.DATA_PATH", "'" + data.string() + "'",
                              "MODEL.NUM_CLASSES", "3", "DATA.BATCH_SIZE", "2"});
  CHECK(Trainer(ok, quiet()).run().completed);
  CHECK_THAT(read_text(run / "log.txt"), Catch::Contains("validation runs on the training images"));
}

TEST_CASE("a run that fails before training leaves no run folder, and an existing one is kept",
          "[train][start]") {
  auto dir = focal::test::temp_dir("start_cleanup");
  const auto missing = dir / "no_such_data";
  auto config = tiny_config(dir / "out" / "model" / "tag",
                            {"DATA.DATASET", "imagenet", "DATA.DATA_PATH", "'" + missing.string() + "'"});
  CHECK_THROWS_WITH(Trainer(config, quiet()).run(), Catch::Contains(missing.string()));
  CHECK_FALSE(std::filesystem::exists(dir / "out"));
  CHECK(std::filesystem::exists(dir));  // what existed before stays

  // A folder that existed before (another run's files) is left as it is.
  const auto existing = dir / "existing";
  std::filesystem::create_directories(existing);
  std::ofstream(existing / "notes.txt") << "mine";
  auto again =
      tiny_config(existing, {"DATA.DATASET", "imagenet", "DATA.DATA_PATH", "'" + missing.string() + "'"});
  CHECK_THROWS(Trainer(again, quiet()).run());
  CHECK(std::filesystem::exists(existing / "notes.txt"));
  CHECK(std::filesystem::exists(existing / "log.txt"));
}

TEST_CASE("a finished run started again says that it is complete", "[train][start]") {
  auto dir = focal::test::temp_dir("start_complete");
  const auto run = dir / "run";
  auto first = Trainer(tiny_config(run), quiet()).run();
  REQUIRE(first.completed);
  auto second = Trainer(tiny_config(run), quiet()).run();
  CHECK(second.completed);
  CHECK(second.steps == first.steps);
  CHECK(second.max_accuracy == first.max_accuracy);
  const auto log = read_text(run / "log.txt");
  CHECK_THAT(log, Catch::Contains("already complete") && Catch::Contains("all 1 epochs"));
  CHECK(occurrences(log, "Start training") == 1);
  CHECK_THAT(log, !Catch::Contains("resumed at epoch 1"));
}

TEST_CASE("fp16 on the CPU is refused with the reason, bf16 on the CPU warns", "[train][start][amp]") {
  auto dir = focal::test::temp_dir("start_amp");
  CHECK_THROWS_WITH(Trainer(tiny_config(dir / "fp16", {"TRAIN.AMP", "fp16"}), quiet()),
                    Catch::Contains("fp16") && Catch::Contains("CUDA device"));
  CHECK_FALSE(std::filesystem::exists(dir / "fp16"));
  Trainer bf16(tiny_config(dir / "bf16", {"TRAIN.AMP", "bf16"}), quiet());
  CHECK_THAT(read_text(dir / "bf16" / "log.txt"),
             Catch::Contains("bf16 on the CPU") && Catch::Contains("slower"));
}

TEST_CASE("curve tick labels are distinct, never -0, and name their values", "[train][plot]") {
  const std::vector<std::vector<double>> axes = {
      {1.630, 1.632, 1.634, 1.636},  // a loss that hardly moves in one epoch
      {-0.0, 1.0},                   // one epoch: the axis runs from -0.5 to 0.5
      {0.0, 1e-4, 2e-4, 3e-4},       // learning rates
      {0, 20, 40, 60, 80, 100},      // accuracy
      {0.5, 0.55, 0.6}};
  for (const auto& ticks : axes) {
    const auto labels = tick_labels(ticks);
    REQUIRE(labels.size() == ticks.size());
    std::set<std::string> distinct(labels.begin(), labels.end());
    CHECK(distinct.size() == labels.size());
    const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
    for (size_t i = 0; i < ticks.size(); ++i) {
      INFO(labels[i] << " for " << ticks[i]);
      CHECK(labels[i].rfind("-0", 0) != 0);
      CHECK(std::stod(labels[i]) == Approx(ticks[i]).margin(step / 4));
    }
  }
}
