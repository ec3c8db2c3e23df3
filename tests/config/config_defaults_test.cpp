// The defaults are the original schema (config.py of microsoft/Focal-Transformer) plus our documented
// additions, nothing more: the expected values below are transcribed from the original file.
#include "focal/config/config.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using focal::Config;
using Ints = std::vector<int64_t>;

namespace {

void expect(const Config& c, const std::string& key, int64_t v) {
  INFO(key);
  CHECK(c.get<int64_t>(key) == v);
}
void expect(const Config& c, const std::string& key, int v) { expect(c, key, int64_t{v}); }
void expect(const Config& c, const std::string& key, double v) {
  INFO(key);
  CHECK(c.get<double>(key) == v);
  // A float key, not an integer one: yacs would reject an int replacing it only the other way round.
  CHECK_THROWS_AS(c.get<int64_t>(key), focal::ConfigError);
}
void expect(const Config& c, const std::string& key, bool v) {
  INFO(key);
  CHECK(c.get<bool>(key) == v);
}
void expect(const Config& c, const std::string& key, const char* v) {
  INFO(key);
  CHECK(c.get<std::string>(key) == v);
}
void expect(const Config& c, const std::string& key, const Ints& v) {
  INFO(key);
  CHECK(c.get<Ints>(key) == v);
}

}  // namespace

TEST_CASE("defaults hold every key of the original schema with its default", "[config]") {
  const Config c = Config::defaults();
  CHECK(c.get<std::vector<std::string>>("BASE") == std::vector<std::string>{""});

  expect(c, "DATA.BATCH_SIZE", 128);
  expect(c, "DATA.DATA_PATH", "");
  expect(c, "DATA.DATASET", "imagenet");
  expect(c, "DATA.IMG_SIZE", 224);
  expect(c, "DATA.INTERPOLATION", "bicubic");
  expect(c, "DATA.ZIP_MODE", false);
  expect(c, "DATA.CACHE_MODE", "part");
  expect(c, "DATA.PIN_MEMORY", true);
  expect(c, "DATA.NUM_WORKERS", 8);

  expect(c, "MODEL.TYPE", "focal");
  expect(c, "MODEL.NAME", "focal_tiny_patch4_window7_224");
  expect(c, "MODEL.RESUME", "");
  expect(c, "MODEL.NUM_CLASSES", 1000);
  expect(c, "MODEL.DROP_RATE", 0.0);
  expect(c, "MODEL.DROP_PATH_RATE", 0.1);
  expect(c, "MODEL.LABEL_SMOOTHING", 0.1);
  CHECK(c.has("MODEL.SPEC"));
  CHECK(c.has("MODEL.FOCAL"));
  CHECK_FALSE(c.has("MODEL.FOCAL.NOPE"));
  CHECK_THROWS_AS(c.get<int64_t>("MODEL.FOCAL"), focal::ConfigError);

  expect(c, "MODEL.FOCAL.PATCH_SIZE", 4);
  expect(c, "MODEL.FOCAL.IN_CHANS", 3);
  expect(c, "MODEL.FOCAL.EMBED_DIM", 96);
  expect(c, "MODEL.FOCAL.DEPTHS", Ints{2, 2, 6, 2});
  expect(c, "MODEL.FOCAL.NUM_HEADS", Ints{3, 6, 12, 24});
  expect(c, "MODEL.FOCAL.WINDOW_SIZE", 7);
  expect(c, "MODEL.FOCAL.MLP_RATIO", 4.0);
  expect(c, "MODEL.FOCAL.QKV_BIAS", true);
  // Original False = unset (the model then uses head_dim ** -0.5).
  CHECK(c.is_null("MODEL.FOCAL.QK_SCALE"));
  CHECK_FALSE(c.get_optional<double>("MODEL.FOCAL.QK_SCALE").has_value());
  expect(c, "MODEL.FOCAL.APE", false);
  expect(c, "MODEL.FOCAL.PATCH_NORM", true);
  expect(c, "MODEL.FOCAL.USE_SHIFT", false);
  expect(c, "MODEL.FOCAL.FOCAL_POOL", "none");
  expect(c, "MODEL.FOCAL.FOCAL_STAGES", Ints{0, 1, 2, 3});
  expect(c, "MODEL.FOCAL.FOCAL_LEVELS", Ints{1, 1, 1, 1});
  expect(c, "MODEL.FOCAL.FOCAL_WINDOWS", Ints{7, 5, 3, 1});
  expect(c, "MODEL.FOCAL.EXPAND_STAGES", Ints{0, 1, 2, 3});
  expect(c, "MODEL.FOCAL.EXPAND_SIZES", Ints{3, 3, 3, 3});
  expect(c, "MODEL.FOCAL.EXPAND_LAYER", "all");
  expect(c, "MODEL.FOCAL.USE_CONV_EMBED", false);
  expect(c, "MODEL.FOCAL.USE_LAYERSCALE", false);
  expect(c, "MODEL.FOCAL.USE_PRE_NORM", false);
  expect(c, "MODEL.FOCAL.FOCAL_TOPK", 128);

  expect(c, "TRAIN.START_EPOCH", 0);
  expect(c, "TRAIN.EPOCHS", 300);
  expect(c, "TRAIN.WARMUP_EPOCHS", 20);
  expect(c, "TRAIN.WEIGHT_DECAY", 0.05);
  expect(c, "TRAIN.BASE_LR", 5e-4);
  expect(c, "TRAIN.WARMUP_LR", 5e-7);
  expect(c, "TRAIN.MIN_LR", 5e-6);
  expect(c, "TRAIN.CLIP_GRAD", 5.0);
  expect(c, "TRAIN.AUTO_RESUME", true);
  expect(c, "TRAIN.ACCUMULATION_STEPS", 0);
  expect(c, "TRAIN.USE_CHECKPOINT", false);
  expect(c, "TRAIN.LR_SCHEDULER.NAME", "cosine");
  expect(c, "TRAIN.LR_SCHEDULER.DECAY_EPOCHS", 30);
  expect(c, "TRAIN.LR_SCHEDULER.DECAY_RATE", 0.1);
  expect(c, "TRAIN.OPTIMIZER.NAME", "adamw");
  expect(c, "TRAIN.OPTIMIZER.EPS", 1e-8);
  CHECK(c.get<std::vector<double>>("TRAIN.OPTIMIZER.BETAS") == std::vector<double>{0.9, 0.999});
  expect(c, "TRAIN.OPTIMIZER.MOMENTUM", 0.9);

  expect(c, "AUG.COLOR_JITTER", 0.4);
  expect(c, "AUG.AUTO_AUGMENT", "rand-m9-mstd0.5-inc1");
  expect(c, "AUG.REPROB", 0.25);
  expect(c, "AUG.REMODE", "pixel");
  expect(c, "AUG.RECOUNT", 1);
  expect(c, "AUG.MIXUP", 0.8);
  expect(c, "AUG.CUTMIX", 1.0);
  CHECK(c.is_null("AUG.CUTMIX_MINMAX"));
  expect(c, "AUG.MIXUP_PROB", 1.0);
  expect(c, "AUG.MIXUP_SWITCH_PROB", 0.5);
  expect(c, "AUG.MIXUP_MODE", "batch");
  expect(c, "TEST.CROP", true);

  expect(c, "AMP_OPT_LEVEL", "");
  expect(c, "OUTPUT", "");
  expect(c, "TAG", "default");
  expect(c, "SAVE_FREQ", 1);
  expect(c, "PRINT_FREQ", 100);
  expect(c, "SEED", 0);
  expect(c, "EVAL_MODE", false);
  expect(c, "THROUGHPUT_MODE", false);
  expect(c, "DEBUG_MODE", false);
  expect(c, "LOCAL_RANK", 0);
}

TEST_CASE("defaults hold our additions with their documented defaults", "[config]") {
  const Config c = Config::defaults();
  expect(c, "MODEL.FOCAL.ATTN_DROP_RATE", 0.0);
  expect(c, "MODEL.FOCAL.LAYERSCALE_VALUE", 1e-4);
  expect(c, "MODEL.HALONET.ACT_LAYER", "relu");
  expect(c, "MODEL.HALONET.USE_SE", false);
  expect(c, "MODEL.HALONET.NUM_HEADS", 8);
  expect(c, "TRAIN.AMP", "off");
  expect(c, "TRAIN.EMA.ENABLE", false);
  expect(c, "TRAIN.EMA.DECAY", 0.9998);
  expect(c, "TRAIN.PRETRAINED", "");
  expect(c, "TRAIN.CUDA_GRAPH", false);
}

TEST_CASE("the schema has exactly the original keys plus our additions", "[config]") {
  const std::vector<std::string> original = {"BASE",
                                             "DATA.BATCH_SIZE",
                                             "DATA.DATA_PATH",
                                             "DATA.DATASET",
                                             "DATA.IMG_SIZE",
                                             "DATA.INTERPOLATION",
                                             "DATA.ZIP_MODE",
                                             "DATA.CACHE_MODE",
                                             "DATA.PIN_MEMORY",
                                             "DATA.NUM_WORKERS",
                                             "MODEL.TYPE",
                                             "MODEL.NAME",
                                             "MODEL.RESUME",
                                             "MODEL.NUM_CLASSES",
                                             "MODEL.DROP_RATE",
                                             "MODEL.DROP_PATH_RATE",
                                             "MODEL.LABEL_SMOOTHING",
                                             "MODEL.FOCAL.PATCH_SIZE",
                                             "MODEL.FOCAL.IN_CHANS",
                                             "MODEL.FOCAL.EMBED_DIM",
                                             "MODEL.FOCAL.DEPTHS",
                                             "MODEL.FOCAL.NUM_HEADS",
                                             "MODEL.FOCAL.WINDOW_SIZE",
                                             "MODEL.FOCAL.MLP_RATIO",
                                             "MODEL.FOCAL.QKV_BIAS",
                                             "MODEL.FOCAL.QK_SCALE",
                                             "MODEL.FOCAL.APE",
                                             "MODEL.FOCAL.PATCH_NORM",
                                             "MODEL.FOCAL.USE_SHIFT",
                                             "MODEL.FOCAL.FOCAL_POOL",
                                             "MODEL.FOCAL.FOCAL_STAGES",
                                             "MODEL.FOCAL.FOCAL_LEVELS",
                                             "MODEL.FOCAL.FOCAL_WINDOWS",
                                             "MODEL.FOCAL.EXPAND_STAGES",
                                             "MODEL.FOCAL.EXPAND_SIZES",
                                             "MODEL.FOCAL.EXPAND_LAYER",
                                             "MODEL.FOCAL.USE_CONV_EMBED",
                                             "MODEL.FOCAL.USE_LAYERSCALE",
                                             "MODEL.FOCAL.USE_PRE_NORM",
                                             "MODEL.FOCAL.FOCAL_TOPK",
                                             "TRAIN.START_EPOCH",
                                             "TRAIN.EPOCHS",
                                             "TRAIN.WARMUP_EPOCHS",
                                             "TRAIN.WEIGHT_DECAY",
                                             "TRAIN.BASE_LR",
                                             "TRAIN.WARMUP_LR",
                                             "TRAIN.MIN_LR",
                                             "TRAIN.CLIP_GRAD",
                                             "TRAIN.AUTO_RESUME",
                                             "TRAIN.ACCUMULATION_STEPS",
                                             "TRAIN.USE_CHECKPOINT",
                                             "TRAIN.LR_SCHEDULER.NAME",
                                             "TRAIN.LR_SCHEDULER.DECAY_EPOCHS",
                                             "TRAIN.LR_SCHEDULER.DECAY_RATE",
                                             "TRAIN.OPTIMIZER.NAME",
                                             "TRAIN.OPTIMIZER.EPS",
                                             "TRAIN.OPTIMIZER.BETAS",
                                             "TRAIN.OPTIMIZER.MOMENTUM",
                                             "AUG.COLOR_JITTER",
                                             "AUG.AUTO_AUGMENT",
                                             "AUG.REPROB",
                                             "AUG.REMODE",
                                             "AUG.RECOUNT",
                                             "AUG.MIXUP",
                                             "AUG.CUTMIX",
                                             "AUG.CUTMIX_MINMAX",
                                             "AUG.MIXUP_PROB",
                                             "AUG.MIXUP_SWITCH_PROB",
                                             "AUG.MIXUP_MODE",
                                             "TEST.CROP",
                                             "AMP_OPT_LEVEL",
                                             "OUTPUT",
                                             "TAG",
                                             "SAVE_FREQ",
                                             "PRINT_FREQ",
                                             "SEED",
                                             "EVAL_MODE",
                                             "THROUGHPUT_MODE",
                                             "DEBUG_MODE",
                                             "LOCAL_RANK"};
  const std::vector<std::string> ours = {
      "MODEL.FOCAL.ATTN_DROP_RATE", "MODEL.FOCAL.LAYERSCALE_VALUE", "MODEL.HALONET.ACT_LAYER",
      "MODEL.HALONET.USE_SE", "MODEL.HALONET.NUM_HEADS", "TRAIN.AMP", "TRAIN.EMA.ENABLE", "TRAIN.EMA.DECAY",
      "TRAIN.PRETRAINED", "TRAIN.CUDA_GRAPH",
      // Data-parallel training (the original takes these from torch.distributed's defaults).
      "DIST.BACKEND", "DIST.TIMEOUT", "DIST.HEARTBEAT_TIMEOUT", "DIST.BUCKET_CAP_MB", "DIST.BF16_COMPRESS",
      "DIST.FIND_UNUSED_PARAMETERS", "DIST.BROADCAST_BUFFERS", "DATA.MAX_IMAGE_PIXELS",
      "DATA.MAX_UNREADABLE_SHARE",
      // Swin Transformer (MODEL.TYPE swin): the Swin code base's MODEL.SWIN keys, plus USE_SHIFT.
      "MODEL.SWIN.PATCH_SIZE", "MODEL.SWIN.IN_CHANS", "MODEL.SWIN.EMBED_DIM", "MODEL.SWIN.DEPTHS",
      "MODEL.SWIN.NUM_HEADS", "MODEL.SWIN.WINDOW_SIZE", "MODEL.SWIN.MLP_RATIO", "MODEL.SWIN.QKV_BIAS",
      "MODEL.SWIN.QK_SCALE", "MODEL.SWIN.APE", "MODEL.SWIN.PATCH_NORM", "MODEL.SWIN.USE_SHIFT"};
  std::vector<std::string> expected = original;
  expected.insert(expected.end(), ours.begin(), ours.end());
  std::vector<std::string> actual = Config::defaults().keys();
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  CHECK(actual == expected);
}
