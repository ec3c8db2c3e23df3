#include "tests/support/tiny_configs.h"

#include <charconv>
#include <sstream>

namespace focal::test {

namespace {

// The shortest text that reads back as `v`, always with a decimal point (YAML reads it as a float).
std::string yaml_float(double v) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), v);
  std::string s(buffer, end);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string tiny_focal_yaml(const TinyFocalRun& run) {
  std::ostringstream y;
  y << "MODEL:\n"
       "  TYPE: focal\n"
       "  NAME: "
    << run.name << "\n  NUM_CLASSES: " << run.num_classes
    << "\n  DROP_PATH_RATE: " << yaml_float(run.drop_path_rate)
    << "\n"
       "  FOCAL:\n"
       "    PATCH_SIZE: 4\n"
       "    EMBED_DIM: 8\n"
       "    DEPTHS: [1, 1, 1]\n"
       "    NUM_HEADS: [1, 2, 2]\n"
       "    WINDOW_SIZE: 4\n"
       "    FOCAL_POOL: fc\n"
       "    FOCAL_STAGES: [0, 1, 2]\n"
       "    FOCAL_LEVELS: [2, 2, 2]\n"
       "    FOCAL_WINDOWS: [3, 3, 1]\n"
       "    EXPAND_STAGES: [0, 1, 2]\n"
       "    EXPAND_SIZES: [2, 2, 1]\n"
       "DATA:\n"
       "  DATASET: "
    << run.dataset
    << "\n"
       "  IMG_SIZE: 32\n"
       "  BATCH_SIZE: 4\n"
       "  NUM_WORKERS: 1\n"
       "TRAIN:\n"
       "  EPOCHS: "
    << run.epochs << "\n  WARMUP_EPOCHS: 1\n  BASE_LR: " << yaml_float(run.base_lr) << "\n";
  if (run.warmup_lr) y << "  WARMUP_LR: " << yaml_float(*run.warmup_lr) << "\n";
  if (run.min_lr) y << "  MIN_LR: " << yaml_float(*run.min_lr) << "\n";
  if (run.weight_decay) y << "  WEIGHT_DECAY: " << yaml_float(*run.weight_decay) << "\n";
  if (run.ema) y << "  EMA:\n    ENABLE: true\n    DECAY: 0.9\n";
  y << "TEST:\n  CROP: false\nPRINT_FREQ: " << run.print_freq << "\nSEED: " << run.seed << "\n";
  return y.str();
}

std::vector<std::string> focal_micro_opts(int64_t window_size) {
  return {"MODEL.DROP_PATH_RATE",      "0.0",
          "MODEL.FOCAL.EMBED_DIM",     "16",
          "MODEL.FOCAL.DEPTHS",        "[2, 2, 2, 2]",
          "MODEL.FOCAL.NUM_HEADS",     "[1, 2, 4, 8]",
          "MODEL.FOCAL.WINDOW_SIZE",   std::to_string(window_size),
          "MODEL.FOCAL.FOCAL_POOL",    "fc",
          "MODEL.FOCAL.FOCAL_LEVELS",  "[2, 2, 2, 2]",
          "MODEL.FOCAL.FOCAL_WINDOWS", "[7, 5, 3, 1]",
          "MODEL.FOCAL.EXPAND_SIZES",  "[3, 3, 3, 3]"};
}

}  // namespace focal::test
