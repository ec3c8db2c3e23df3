// Merging files (BASE includes, precedence) and command-line overrides, with yacs semantics.
#include "focal/config/config.h"
#include "tests/config/config_test_util.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using focal::Config;
using Ints = std::vector<int64_t>;
namespace fs = std::filesystem;

TEST_CASE("every YAML file in configs/ loads", "[config]") {
  int loaded = 0;
  for (const auto& item : fs::recursive_directory_iterator(focal::test::configs_dir())) {
    if (item.path().extension() != ".yaml" && item.path().extension() != ".yml") continue;
    INFO(item.path().string());
    CHECK_NOTHROW(Config::from_file(item.path().string()));
    ++loaded;
  }
  CHECK(loaded >= 6);
}

TEST_CASE("model configs carry the original hyper-parameters", "[config]") {
  struct Expected {
    const char* size;
    int64_t embed_dim;
    Ints depths, heads;
    double drop_path;
  };
  // From the original configs/focal_{tiny,small,base}_patch4_window7_224.yaml.
  const std::vector<Expected> models = {{"tiny", 96, {2, 2, 6, 2}, {3, 6, 12, 24}, 0.2},
                                        {"small", 96, {2, 2, 18, 2}, {3, 6, 12, 24}, 0.3},
                                        {"base", 128, {2, 2, 18, 2}, {4, 8, 16, 32}, 0.5}};
  for (const auto& m : models) {
    for (bool conv : {false, true}) {
      const std::string name =
          std::string("focal_") + m.size + (conv ? "_useconv" : "") + "_patch4_window7_224";
      INFO(name);
      const Config c = Config::from_file((focal::test::configs_dir() / (name + ".yaml")).string());
      CHECK(c.get<std::string>("MODEL.TYPE") == "focal");
      CHECK(c.get<std::string>("MODEL.NAME") == name);
      CHECK(c.get<double>("MODEL.DROP_PATH_RATE") == m.drop_path);
      CHECK(c.get<int64_t>("MODEL.FOCAL.EMBED_DIM") == m.embed_dim);
      CHECK(c.get<Ints>("MODEL.FOCAL.DEPTHS") == m.depths);
      CHECK(c.get<Ints>("MODEL.FOCAL.NUM_HEADS") == m.heads);
      CHECK(c.get<int64_t>("MODEL.FOCAL.WINDOW_SIZE") == 7);
      CHECK(c.get<std::string>("MODEL.FOCAL.FOCAL_POOL") == "fc");
      CHECK(c.get<Ints>("MODEL.FOCAL.FOCAL_STAGES") == Ints{0, 1, 2, 3});
      CHECK(c.get<Ints>("MODEL.FOCAL.FOCAL_LEVELS") == Ints{2, 2, 2, 2});
      CHECK(c.get<Ints>("MODEL.FOCAL.FOCAL_WINDOWS") == Ints{7, 5, 3, 1});
      CHECK(c.get<Ints>("MODEL.FOCAL.EXPAND_SIZES") == Ints{3, 3, 3, 3});
      CHECK(c.get<bool>("MODEL.FOCAL.USE_CONV_EMBED") == conv);
      CHECK(c.get<int64_t>("DATA.IMG_SIZE") == 224);
    }
  }
}

TEST_CASE("BASE includes are merged first, in order, relative to the including file", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_base");
  using focal::test::write_text;
  write_text(dir / "common" / "root.yaml", "TRAIN:\n  EPOCHS: 1\n  MIN_LR: 1.0e-7\nTAG: root\n");
  // Relative to common/, not to the top file.
  write_text(dir / "common" / "first.yaml",
             "BASE: ['root.yaml']\nTRAIN:\n  EPOCHS: 10\n  BASE_LR: 0.001\nDATA:\n  BATCH_SIZE: 64\n");
  write_text(dir / "second.yaml", "TRAIN:\n  EPOCHS: 20\n  WARMUP_EPOCHS: 5\n");
  const std::string top = write_text(dir / "top.yaml",
                                     "BASE: ['common/first.yaml', 'second.yaml']\n"
                                     "TRAIN:\n  WARMUP_EPOCHS: 2\nMODEL:\n  NAME: top\n");
  Config c = Config::from_file(top);
  CHECK(c.get<std::string>("TAG") == "root");  // only the deepest base sets it
  CHECK(c.get<double>("TRAIN.MIN_LR") == 1e-7);
  CHECK(c.get<double>("TRAIN.BASE_LR") == 0.001);  // first base
  CHECK(c.get<int64_t>("DATA.BATCH_SIZE") == 64);
  CHECK(c.get<int64_t>("TRAIN.EPOCHS") == 20);        // the later base wins over the earlier
  CHECK(c.get<int64_t>("TRAIN.WARMUP_EPOCHS") == 2);  // the file wins over its bases
  CHECK(c.get<std::string>("MODEL.NAME") == "top");
  CHECK(c.get<double>("TRAIN.WEIGHT_DECAY") == 0.05);  // untouched default
  // The includes are resolved: the result has no BASE left to follow.
  CHECK(c.get<std::vector<std::string>>("BASE") == std::vector<std::string>{""});

  // Command-line overrides come last and win.
  c.merge_opts({"TRAIN.EPOCHS", "3"});
  CHECK(c.get<int64_t>("TRAIN.EPOCHS") == 3);

  // merge_file on top of an existing configuration keeps what the new file does not set.
  const std::string extra = write_text(dir / "extra.yaml", "TRAIN:\n  BASE_LR: 0.5\n");
  c.merge_file(extra);
  CHECK(c.get<double>("TRAIN.BASE_LR") == 0.5);
  CHECK(c.get<int64_t>("TRAIN.EPOCHS") == 3);
}

TEST_CASE("a file may include the same base twice through different paths", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_diamond");
  using focal::test::write_text;
  write_text(dir / "shared.yaml", "SEED: 7\n");
  write_text(dir / "a.yaml", "BASE: ['shared.yaml']\nPRINT_FREQ: 5\n");
  write_text(dir / "b.yaml", "BASE: ['shared.yaml']\nSAVE_FREQ: 9\n");
  Config c = Config::from_file(write_text(dir / "top.yaml", "BASE: ['a.yaml', 'b.yaml']\n"));
  CHECK(c.get<int64_t>("SEED") == 7);
  CHECK(c.get<int64_t>("PRINT_FREQ") == 5);
  CHECK(c.get<int64_t>("SAVE_FREQ") == 9);
}

TEST_CASE("merge_opts parses each value with the type of its key", "[config]") {
  Config c = Config::defaults();
  c.merge_opts({"TRAIN.EPOCHS",
                "10",
                "TRAIN.BASE_LR",
                "5e-5",  // exponent without a dot is still a float
                "TRAIN.WARMUP_LR",
                "2",  // an integer where a float is expected
                "TRAIN.MIN_LR",
                ".25",
                "MODEL.FOCAL.DEPTHS",
                "[2,2,18,2]",
                "MODEL.FOCAL.FOCAL_POOL",
                "'mean'",
                "DATA.DATASET",
                "fashion_mnist",
                "DATA.DATA_PATH",
                "/data/with: colon",  // not YAML scalar text: taken as it is
                "OUTPUT",
                "",
                "EVAL_MODE",
                "True",
                "TEST.CROP",
                "false",
                "TRAIN.OPTIMIZER.BETAS",
                "(0.8, 0.95)",  // Python tuple spelling
                "AUG.CUTMIX_MINMAX",
                "[0.2, 1]",
                "MODEL.FOCAL.QK_SCALE",
                "0.125",
                "TRAIN.AMP",
                "bf16"});
  CHECK(c.get<int64_t>("TRAIN.EPOCHS") == 10);
  CHECK(c.get<double>("TRAIN.BASE_LR") == 5e-5);
  CHECK(c.get<double>("TRAIN.WARMUP_LR") == 2.0);
  CHECK(c.get<double>("TRAIN.MIN_LR") == 0.25);
  CHECK(c.get<Ints>("MODEL.FOCAL.DEPTHS") == Ints{2, 2, 18, 2});
  CHECK(c.get<std::string>("MODEL.FOCAL.FOCAL_POOL") == "mean");
  CHECK(c.get<std::string>("DATA.DATASET") == "fashion_mnist");
  CHECK(c.get<std::string>("DATA.DATA_PATH") == "/data/with: colon");
  CHECK(c.get<std::string>("OUTPUT").empty());
  CHECK(c.get<bool>("EVAL_MODE"));
  CHECK_FALSE(c.get<bool>("TEST.CROP"));
  CHECK(c.get<std::vector<double>>("TRAIN.OPTIMIZER.BETAS") == std::vector<double>{0.8, 0.95});
  CHECK(c.get<std::vector<double>>("AUG.CUTMIX_MINMAX") == std::vector<double>{0.2, 1.0});
  CHECK(c.get_optional<double>("MODEL.FOCAL.QK_SCALE") == std::optional<double>(0.125));
  CHECK(c.get<std::string>("TRAIN.AMP") == "bf16");

  // Nullable keys take null back, in YAML or Python spelling; False is the original's "unset" for QK_SCALE.
  c.merge_opts({"AUG.CUTMIX_MINMAX", "None", "MODEL.FOCAL.QK_SCALE", "False"});
  CHECK(c.is_null("AUG.CUTMIX_MINMAX"));
  CHECK(c.is_null("MODEL.FOCAL.QK_SCALE"));
  c.set("AUG.CUTMIX_MINMAX", "~");
  CHECK(c.is_null("AUG.CUTMIX_MINMAX"));
  CHECK_THROWS_AS(c.get<std::vector<double>>("AUG.CUTMIX_MINMAX"), focal::ConfigError);

  // Integers read as floats, not the other way round.
  CHECK(c.get<double>("TRAIN.EPOCHS") == 10.0);
  CHECK(c.get<std::vector<double>>("MODEL.FOCAL.DEPTHS") == std::vector<double>{2, 2, 18, 2});
  CHECK_THROWS_AS(c.get<int64_t>("TRAIN.BASE_LR"), focal::ConfigError);
  CHECK_THROWS_AS(c.get<std::string>("TRAIN.EPOCHS"), focal::ConfigError);
}

TEST_CASE("a failed merge leaves the configuration unchanged", "[config]") {
  Config c = Config::defaults();
  const std::string before = c.dump();
  CHECK_THROWS_AS(c.merge_opts({"TRAIN.EPOCHS", "10", "TRAIN.NOPE", "1"}), focal::ConfigError);
  CHECK(c.get<int64_t>("TRAIN.EPOCHS") == 300);
  const fs::path dir = focal::test::temp_dir("config_atomic");
  const std::string file = focal::test::write_text(dir / "bad.yaml", "SEED: 5\nTRAIN:\n  EPOCHS: ten\n");
  CHECK_THROWS_AS(c.merge_file(file), focal::ConfigError);
  CHECK(c.get<int64_t>("SEED") == 0);
  CHECK(c.dump() == before);
}

TEST_CASE("MODEL.SPEC accepts new keys of any kind", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_spec");
  Config c = Config::from_file(focal::test::write_text(
      dir / "spec.yaml", "MODEL:\n  SPEC:\n    WIDTH: 3\n    NAMES: [a, b]\n    INNER:\n      RATE: 0.5\n"));
  CHECK(c.get<int64_t>("MODEL.SPEC.WIDTH") == 3);
  CHECK(c.get<std::vector<std::string>>("MODEL.SPEC.NAMES") == std::vector<std::string>{"a", "b"});
  CHECK(c.get<double>("MODEL.SPEC.INNER.RATE") == 0.5);
  c.set("MODEL.SPEC.WIDTH", "wide");  // free-form: the kind follows the value
  CHECK(c.get<std::string>("MODEL.SPEC.WIDTH") == "wide");
  c.set("MODEL.SPEC.NEW", "[1, 2.5]");
  CHECK(c.get<std::vector<double>>("MODEL.SPEC.NEW") == std::vector<double>{1.0, 2.5});
}
