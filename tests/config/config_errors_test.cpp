// Bad input gives a focal::ConfigError whose message names the key, the problem and the file.
#include "focal/config/config.h"
#include "tests/config/config_test_util.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>

#include <filesystem>

using Catch::Matchers::Contains;
using focal::Config;
using focal::test::config_error_of;
using focal::test::write_text;
namespace fs = std::filesystem;

TEST_CASE("an unknown key names the key and the file", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_unknown");
  const std::string file = write_text(dir / "typo.yaml", "TRAIN:\n  EPOCHS: 3\n  EPOCH: 5\n");
  const std::string message = config_error_of([&] { Config::from_file(file); });
  CHECK_THAT(message, Contains("TRAIN.EPOCH'") && Contains(file) && Contains("unknown"));
  CHECK_THAT(message, Contains(file + ":3"));  // the line of the key
  CHECK_THAT(message, Contains("did you mean 'TRAIN.EPOCHS'"));

  const std::string top = write_text(dir / "top.yaml", "NOT_A_SECTION:\n  X: 1\n");
  CHECK_THAT(config_error_of([&] { Config::from_file(top); }), Contains("NOT_A_SECTION") && Contains(top));

  Config c = Config::defaults();
  CHECK_THAT(config_error_of([&] {
               c.merge_opts({"MODEL.FOCAL.DEPTH", "[2]"});
             }),
             Contains("MODEL.FOCAL.DEPTH'") && Contains("command line") &&
                 Contains("did you mean 'MODEL.FOCAL.DEPTHS'"));
  CHECK_THAT(config_error_of([&] { c.set("MODEL.FOCAL", "1"); }),
             Contains("MODEL.FOCAL") && Contains("section"));
  CHECK_THAT(config_error_of([&] { c.get<int64_t>("TRAIN.NOPE"); }), Contains("TRAIN.NOPE"));
}

TEST_CASE("a value of the wrong type names key, expected type, value and file", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_type");
  struct Case {
    const char* yaml;
    const char* key;
    const char* expected;
    const char* value;
  };
  const std::vector<Case> cases = {
      {"TRAIN:\n  EPOCHS: ten\n", "TRAIN.EPOCHS", "an integer", "ten"},
      {"TRAIN:\n  EPOCHS: 1.5\n", "TRAIN.EPOCHS", "an integer", "1.5"},
      {"TRAIN:\n  EPOCHS: true\n", "TRAIN.EPOCHS", "an integer", "true"},
      {"TRAIN:\n  EPOCHS: [1, 2]\n", "TRAIN.EPOCHS", "an integer", "[1, 2]"},
      {"TRAIN:\n  EPOCHS: null\n", "TRAIN.EPOCHS", "an integer", "null"},
      {"TRAIN:\n  BASE_LR: fast\n", "TRAIN.BASE_LR", "a float", "fast"},
      {"MODEL:\n  FOCAL:\n    DEPTHS: 3\n", "MODEL.FOCAL.DEPTHS", "a list of integers", "3"},
      {"MODEL:\n  FOCAL:\n    DEPTHS: [2, 2.5]\n", "MODEL.FOCAL.DEPTHS", "a list of integers", "2.5"},
      {"MODEL:\n  FOCAL:\n    QKV_BIAS: 1\n", "MODEL.FOCAL.QKV_BIAS", "a boolean", "1"},
      {"MODEL:\n  FOCAL:\n    QK_SCALE: [1]\n", "MODEL.FOCAL.QK_SCALE", "a float or null", "[1]"},
      {"TAG: 5\n", "TAG", "a string", "5"},
      {"DATA:\n  DATA_PATH: {a: 1}\n", "DATA.DATA_PATH", "a string", "a: 1"},
      {"TRAIN:\n  OPTIMIZER:\n    BETAS: [0.9, x]\n", "TRAIN.OPTIMIZER.BETAS", "a list of floats", "x"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& t = cases[i];
    INFO(t.yaml);
    const std::string file = write_text(dir / ("case" + std::to_string(i) + ".yaml"), t.yaml);
    const std::string message = config_error_of([&] { Config::from_file(file); });
    CHECK_THAT(message, Contains(std::string("'") + t.key + "'") && Contains(t.expected) &&
                            Contains(t.value) && Contains(file));
  }

  // Restricted values list what is allowed.
  Config c = Config::defaults();
  CHECK_THAT(config_error_of([&] { c.set("TRAIN.AMP", "fp32"); }),
             Contains("TRAIN.AMP") && Contains("fp32") && Contains("bf16") && Contains("command line"));
  CHECK_THAT(config_error_of([&] { c.set("DATA.DATASET", "cifar"); }), Contains("synthetic"));
  CHECK_THAT(config_error_of([&] { c.set("MODEL.FOCAL.EXPAND_LAYER", "some"); }), Contains("odd"));
  // Command-line values are typed the same way.
  CHECK_THAT(config_error_of([&] {
               c.merge_opts({"TRAIN.EPOCHS", "[1, 2]"});
             }),
             Contains("TRAIN.EPOCHS") && Contains("an integer") && Contains("command line"));
  CHECK_THAT(config_error_of([&] { c.merge_opts({"TRAIN.EPOCHS"}); }), Contains("pairs"));
  // A section given a plain value.
  const std::string file = write_text(dir / "section.yaml", "MODEL: 3\n");
  CHECK_THAT(config_error_of([&] { Config::from_file(file); }), Contains("'MODEL'") && Contains("section"));
}

TEST_CASE("missing files and YAML syntax errors name the file", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_files");
  const std::string missing = (dir / "absent.yaml").string();
  CHECK_THAT(config_error_of([&] { Config::from_file(missing); }),
             Contains(missing) && Contains("does not exist"));

  const std::string broken = write_text(dir / "broken.yaml", "TRAIN:\n  EPOCHS: [1, 2\n  BASE_LR: 0.1\n");
  CHECK_THAT(config_error_of([&] { Config::from_file(broken); }), Contains(broken) && Contains("syntax"));

  const std::string top = write_text(dir / "top.yaml", "BASE: ['nowhere.yaml']\n");
  CHECK_THAT(config_error_of([&] { Config::from_file(top); }),
             Contains("nowhere.yaml") && Contains("does not exist") && Contains("top.yaml"));

  const std::string list = write_text(dir / "list.yaml", "- 1\n- 2\n");
  CHECK_THAT(config_error_of([&] { Config::from_file(list); }), Contains(list) && Contains("mapping"));
}

TEST_CASE("a cycle of BASE includes is an error, not a hang", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_cycle");
  write_text(dir / "a.yaml", "BASE: ['sub/b.yaml']\nSEED: 1\n");
  write_text(dir / "sub" / "b.yaml", "BASE: ['../a.yaml']\nSEED: 2\n");
  const std::string message = config_error_of([&] { Config::from_file((dir / "a.yaml").string()); });
  CHECK_THAT(message, Contains("cycle") && Contains("a.yaml") && Contains("b.yaml"));

  const std::string self = write_text(dir / "self.yaml", "BASE: ['self.yaml']\n");
  CHECK_THAT(config_error_of([&] { Config::from_file(self); }), Contains("cycle") && Contains("self.yaml"));
}

TEST_CASE("BASE includes that multiply without a cycle stop at a file limit", "[config]") {
  // f0 lists f1 twice, f1 lists f2 twice, ...: 2^20 reads without the limit, each file acyclic.
  const fs::path dir = focal::test::temp_dir("config_include_bomb");
  constexpr int kDepth = 20;
  for (int i = 0; i < kDepth; ++i) {
    const std::string next = "f" + std::to_string(i + 1) + ".yaml";
    write_text(dir / ("f" + std::to_string(i) + ".yaml"), "BASE: ['" + next + "', '" + next + "']\n");
  }
  write_text(dir / ("f" + std::to_string(kDepth) + ".yaml"), "SEED: 3\n");
  const std::string message = config_error_of([&] { Config::from_file((dir / "f0.yaml").string()); });
  CHECK_THAT(message, Contains("files read through BASE includes") && Contains(dir.string()));
  // A diamond (two bases sharing one) is fine.
  write_text(dir / "shared.yaml", "SEED: 4\n");
  write_text(dir / "left.yaml", "BASE: ['shared.yaml']\n");
  write_text(dir / "right.yaml", "BASE: ['shared.yaml']\nSEED: 5\n");
  const std::string top = write_text(dir / "top.yaml", "BASE: ['left.yaml', 'right.yaml']\n");
  CHECK(Config::from_file(top).get<int64_t>("SEED") == 5);
}
