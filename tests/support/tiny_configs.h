#pragma once
// The small model configurations several test files train or load, written once:
//  - tiny_focal_yaml: a YAML config of a tiny Focal model (32x32 images, patch 4: maps 8/4/2, window 4,
//    two focal levels; a few thousand parameters) with the run settings a test chooses;
//  - focal_micro_opts: the architecture of the focal_micro_224 fixture (focal_micro_224.json) as
//    Config::merge_opts arguments, for the tests that load its released-format weights.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace focal::test {

struct TinyFocalRun {
  std::string name = "tiny";
  int64_t num_classes = 5;
  double drop_path_rate = 0.1;
  std::string dataset = "synthetic";  // DATA.DATASET: synthetic or folder (DATA.DATA_PATH set by the test)
  int64_t epochs = 2;
  double base_lr = 0.01;
  std::optional<double> warmup_lr, min_lr, weight_decay;  // TRAIN.* keys written only when set
  bool ema = true;                                        // TRAIN.EMA.ENABLE with DECAY 0.9, else absent
  int64_t print_freq = 2;
  int64_t seed = 7;
};

// The YAML text: MODEL (TYPE focal, the tiny architecture), DATA (IMG_SIZE 32, BATCH_SIZE 4, NUM_WORKERS
// 1), TRAIN (WARMUP_EPOCHS 1 and the run's values), TEST.CROP false, PRINT_FREQ, SEED.
std::string tiny_focal_yaml(const TinyFocalRun& run);

// MODEL.DROP_PATH_RATE 0 and the fixture's MODEL.FOCAL.* keys, with another window size when asked.
std::vector<std::string> focal_micro_opts(int64_t window_size = 7);

}  // namespace focal::test
