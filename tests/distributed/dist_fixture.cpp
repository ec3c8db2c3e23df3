#include "tests/distributed/dist_fixture.h"

#include "tests/support/test_env.h"
#include "train/checkpoint/training_checkpoint.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <random>
#include <sstream>

namespace focal::test {

namespace {

const char* kConfig = R"(MODEL:
  TYPE: focal
  NAME: dist_tiny
  NUM_CLASSES: 3
  DROP_PATH_RATE: 0.0
  FOCAL:
    IN_CHANS: 1
    USE_CONV_EMBED: True
    PATCH_SIZE: 4
    EMBED_DIM: 8
    DEPTHS: [1, 1]
    NUM_HEADS: [1, 2]
    WINDOW_SIZE: 4
    FOCAL_POOL: "fc"
    FOCAL_STAGES: [0, 1]
    FOCAL_LEVELS: [2, 2]
    FOCAL_WINDOWS: [3, 1]
    EXPAND_STAGES: [0, 1]
    EXPAND_SIZES: [2, 2]
DATA:
  IMG_SIZE: 32
  BATCH_SIZE: 8
  NUM_WORKERS: 1
  PIN_MEMORY: False
TEST:
  CROP: False
AUG:
  COLOR_JITTER: 0.0
  AUTO_AUGMENT: none
  REPROB: 0.0
  MIXUP: 0.0
  CUTMIX: 0.0
TRAIN:
  EPOCHS: 3
  WARMUP_EPOCHS: 1
  BASE_LR: 2.0e-2
  WARMUP_LR: 2.0e-4
  MIN_LR: 2.0e-3
  EMA:
    ENABLE: True
    DECAY: 0.9
DIST:
  TIMEOUT: 60
SAVE_FREQ: 1
PRINT_FREQ: 1
)";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

DistFixture::DistFixture(const std::string& name, int images) {
  dir = temp_dir("dist_" + name);
  data = dir / "images";
  config = dir / "dist_tiny.yaml";
  output = dir / "output";
  std::ofstream(config) << kConfig;
  // Class c: a bright band at a class-specific row, over noise; learnable in a few steps.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> noise(0, 80);
  for (int i = 0; i < images; ++i) {
    const int c = i % 3;
    const auto folder = data / ("class" + std::to_string(c));
    std::filesystem::create_directories(folder);
    cv::Mat img(36, 36, CV_8UC1);
    for (int y = 0; y < img.rows; ++y) {
      for (int x = 0; x < img.cols; ++x) img.at<uint8_t>(y, x) = static_cast<uint8_t>(noise(rng));
    }
    cv::rectangle(img, cv::Rect(0, 6 + 10 * c, 36, 6), cv::Scalar(230), cv::FILLED);
    cv::imwrite((folder / ("img" + std::to_string(i) + ".png")).string(), img);
  }
}

std::vector<std::string> DistFixture::train_args(const std::string& tag,
                                                 const std::vector<std::string>& opts) const {
  std::vector<std::string> a{focal_train_binary().string(),
                             "--cfg",
                             config.string(),
                             "--dataset",
                             "folder",
                             "--data-path",
                             data.string(),
                             "--output",
                             output.string(),
                             "--tag",
                             tag};
  if (!opts.empty()) {
    a.push_back("--opts");
    a.insert(a.end(), opts.begin(), opts.end());
  }
  return a;
}

std::vector<ChildProcess> DistFixture::launch(const std::string& tag, int world,
                                              const std::vector<std::string>& opts,
                                              const std::map<std::string, std::string>& extra_env) const {
  std::vector<ChildProcess> procs;
  const auto store = dir / ("store_" + tag + "_" + std::to_string(std::rand()));
  for (int r = 0; r < world; ++r) {
    std::map<std::string, std::string> env{
        {"RANK", std::to_string(r)},       {"WORLD_SIZE", std::to_string(world)},
        {"LOCAL_RANK", std::to_string(r)}, {"LOCAL_WORLD_SIZE", std::to_string(world)},
        {"OMP_NUM_THREADS", "1"},          {"FOCAL_DIST_INIT_METHOD", "file://" + store.string()}};
    if (world == 1) env = {{"OMP_NUM_THREADS", "1"}, {"WORLD_SIZE", "1"}, {"RANK", "0"}};
    for (const auto& [k, v] : extra_env) env[k] = v;
    procs.emplace_back(train_args(tag, opts), env, dir / (tag + ".rank" + std::to_string(r) + ".log"));
  }
  return procs;
}

void DistFixture::run(const std::string& tag, int world, const std::vector<std::string>& opts,
                      const std::map<std::string, std::string>& extra_env, int timeout_s) const {
  auto procs = launch(tag, world, opts, extra_env);
  for (size_t r = 0; r < procs.size(); ++r) {
    auto status = procs[r].wait_for(std::chrono::seconds(timeout_s));
    INFO("rank " << r << " of run " << tag << " output:\n" << procs[r].output());
    REQUIRE(status.has_value());
    REQUIRE(*status == 0);
  }
}

std::filesystem::path DistFixture::run_dir(const std::string& tag) const {
  return output / "dist_tiny" / tag;
}

std::string DistFixture::log(const std::string& tag) const { return read_file(run_dir(tag) / "log.txt"); }

io::StateDict DistFixture::weights(const std::string& tag, bool ema) const {
  auto ck = train::load_training_checkpoint(run_dir(tag) / "last.pth");
  if (ema) {
    REQUIRE(ck.model_ema.has_value());
    return *ck.model_ema;
  }
  return ck.model;
}

double max_abs_difference(const io::StateDict& a, const io::StateDict& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].first == b[i].first);
    REQUIRE(a[i].second.sizes() == b[i].second.sizes());
    if (!a[i].second.is_floating_point()) {
      REQUIRE(a[i].second.equal(b[i].second));
      continue;
    }
    worst = std::max(
        worst, (a[i].second.to(torch::kDouble) - b[i].second.to(torch::kDouble)).abs().max().item<double>());
  }
  return worst;
}

}  // namespace focal::test
