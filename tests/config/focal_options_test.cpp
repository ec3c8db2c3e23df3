// Focal Transformer options from a configuration and from the fixtures' constructor-argument JSON. The JSON
// is read a second time here with a plain regex scan (no YAML library), so the expectations are independent.
#include "focal/config/focal_options.h"
#include "tests/config/config_test_util.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

using Catch::Matchers::Contains;
using focal::Config;
using focal::FocalTransformerOptions;
using Ints = std::vector<int64_t>;
namespace fs = std::filesystem;

namespace {

// `"key": value` pairs of a flat JSON object; values are raw text (lists keep their brackets).
std::map<std::string, std::string> scan_json(const std::string& text) {
  static const std::regex pair(R"re("([A-Za-z_]+)"\s*:\s*(\[[^\]]*\]|"[^"]*"|[^,}\s]+))re");
  std::map<std::string, std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), pair), end; it != end; ++it)
    out[(*it)[1]] = (*it)[2];
  return out;
}

Ints parse_ints(const std::string& raw) {
  Ints values;
  static const std::regex number(R"(-?[0-9]+)");
  for (std::sregex_iterator it(raw.begin(), raw.end(), number), end; it != end; ++it) {
    values.push_back(std::stoll(it->str()));
  }
  return values;
}

bool parse_bool(const std::string& raw) {
  REQUIRE((raw == "true" || raw == "false"));
  return raw == "true";
}

std::string parse_string(const std::string& raw) { return raw.substr(1, raw.size() - 2); }

// Checks the options field named `key` against its raw JSON text.
void check_field(const FocalTransformerOptions& o, const std::string& key, const std::string& raw) {
  INFO(key << " = " << raw);
  if (key == "img_size")
    CHECK(o.img_size() == std::stoll(raw));
  else if (key == "patch_size")
    CHECK(o.patch_size() == std::stoll(raw));
  else if (key == "in_chans")
    CHECK(o.in_chans() == std::stoll(raw));
  else if (key == "num_classes")
    CHECK(o.num_classes() == std::stoll(raw));
  else if (key == "embed_dim")
    CHECK(o.embed_dim() == std::stoll(raw));
  else if (key == "depths")
    CHECK(o.depths() == parse_ints(raw));
  else if (key == "num_heads")
    CHECK(o.num_heads() == parse_ints(raw));
  else if (key == "window_size")
    CHECK(o.window_size() == std::stoll(raw));
  else if (key == "mlp_ratio")
    CHECK(o.mlp_ratio() == std::stod(raw));
  else if (key == "qkv_bias")
    CHECK(o.qkv_bias() == parse_bool(raw));
  else if (key == "qk_scale")
    CHECK(o.qk_scale() == (raw == "null" ? std::nullopt : std::optional(std::stod(raw))));
  else if (key == "drop_rate")
    CHECK(o.drop_rate() == std::stod(raw));
  else if (key == "attn_drop_rate")
    CHECK(o.attn_drop_rate() == std::stod(raw));
  else if (key == "drop_path_rate")
    CHECK(o.drop_path_rate() == std::stod(raw));
  else if (key == "ape")
    CHECK(o.ape() == parse_bool(raw));
  else if (key == "patch_norm")
    CHECK(o.patch_norm() == parse_bool(raw));
  else if (key == "use_checkpoint")
    CHECK(o.use_checkpoint() == parse_bool(raw));
  else if (key == "use_shift")
    CHECK(o.use_shift() == parse_bool(raw));
  else if (key == "focal_stages")
    CHECK(o.focal_stages() == parse_ints(raw));
  else if (key == "focal_levels")
    CHECK(o.focal_levels() == parse_ints(raw));
  else if (key == "focal_windows")
    CHECK(o.focal_windows() == parse_ints(raw));
  else if (key == "focal_pool")
    CHECK(o.focal_pool() == parse_string(raw));
  else if (key == "expand_stages")
    CHECK(o.expand_stages() == parse_ints(raw));
  else if (key == "expand_sizes")
    CHECK(o.expand_sizes() == parse_ints(raw));
  else if (key == "expand_layer")
    CHECK(o.expand_layer() == parse_string(raw));
  else if (key == "use_conv_embed")
    CHECK(o.use_conv_embed() == parse_bool(raw));
  else if (key == "use_layerscale")
    CHECK(o.use_layerscale() == parse_bool(raw));
  else if (key == "layerscale_value")
    CHECK(o.layerscale_value() == std::stod(raw));
  else if (key == "use_pre_norm")
    CHECK(o.use_pre_norm() == parse_bool(raw));
  else
    FAIL("fixture key not covered by the test: " << key);
}

std::vector<fs::path> fixture_jsons() {
  std::vector<fs::path> files;
  for (const auto& item : fs::directory_iterator(focal::test::fixtures_dir())) {
    if (item.path().extension() == ".json") files.push_back(item.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("focal_options_from_json reads every fixture's constructor arguments", "[config][fixtures]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures not found at " + focal::test::fixtures_dir().string());
  const auto files = fixture_jsons();
  REQUIRE(files.size() >= 6);
  for (const auto& file : files) {
    INFO(file.string());
    const auto raw = scan_json(focal::test::read_text(file));
    REQUIRE(raw.size() >= 20);
    const FocalTransformerOptions options = focal::focal_options_from_json(file.string());
    for (const auto& [key, value] : raw) {
      if (key == "num_params" || key == "macs") continue;
      check_field(options, key, value);
    }
    // Arguments a file leaves out keep the original constructor's defaults.
    if (!raw.count("drop_rate")) CHECK(options.drop_rate() == 0.0);
    if (!raw.count("attn_drop_rate")) CHECK(options.attn_drop_rate() == 0.0);
    if (!raw.count("qk_scale")) CHECK_FALSE(options.qk_scale().has_value());
    if (!raw.count("use_checkpoint")) CHECK_FALSE(options.use_checkpoint());
    if (!raw.count("layerscale_value")) CHECK(options.layerscale_value() == 1e-4);

    CHECK(focal::json_expected_params(file.string()) == std::stoll(raw.at("num_params")));
    CHECK(focal::json_expected_macs(file.string()) == std::stod(raw.at("macs")));
  }
}

TEST_CASE("focal_options_from_json rejects unknown keys and wrong types", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_json");
  const std::string unknown =
      focal::test::write_text(dir / "unknown.json", R"({"embed_dim": 16, "norm": "ln"})");
  CHECK_THAT(focal::test::config_error_of([&] { focal::focal_options_from_json(unknown); }),
             Contains("'norm'") && Contains(unknown));
  const std::string wrong = focal::test::write_text(dir / "wrong.json", R"({"depths": [2, "x"]})");
  CHECK_THAT(focal::test::config_error_of([&] { focal::focal_options_from_json(wrong); }),
             Contains("depths") && Contains("a list of integers") && Contains(wrong));
  const std::string partial =
      focal::test::write_text(dir / "partial.json", R"({"qk_scale": null, "embed_dim": 8})");
  const auto options = focal::focal_options_from_json(partial);
  CHECK(options.embed_dim() == 8);
  CHECK(options.depths() == Ints{2, 2, 6, 2});  // constructor default
  CHECK_THAT(focal::test::config_error_of([&] { focal::json_expected_params(partial); }),
             Contains("num_params"));
  const std::string missing = (dir / "absent.json").string();
  CHECK_THAT(focal::test::config_error_of([&] { focal::focal_options_from_json(missing); }),
             Contains(missing));
}

TEST_CASE("focal_options_from_config maps focal_tiny to the constructor arguments", "[config]") {
  const Config c =
      Config::from_file((focal::test::configs_dir() / "focal_tiny_patch4_window7_224.yaml").string());
  const FocalTransformerOptions o = focal::focal_options_from_config(c);
  // Focal-T as the original build_model constructs it from this config and the defaults.
  CHECK(o.img_size() == 224);
  CHECK(o.patch_size() == 4);
  CHECK(o.in_chans() == 3);
  CHECK(o.num_classes() == 1000);
  CHECK(o.embed_dim() == 96);
  CHECK(o.depths() == Ints{2, 2, 6, 2});
  CHECK(o.num_heads() == Ints{3, 6, 12, 24});
  CHECK(o.window_size() == 7);
  CHECK(o.mlp_ratio() == 4.0);
  CHECK(o.qkv_bias());
  CHECK_FALSE(o.qk_scale().has_value());
  CHECK(o.drop_rate() == 0.0);
  CHECK(o.attn_drop_rate() == 0.0);
  CHECK(o.drop_path_rate() == 0.2);
  CHECK_FALSE(o.ape());
  CHECK(o.patch_norm());
  CHECK_FALSE(o.use_checkpoint());
  CHECK_FALSE(o.use_shift());
  CHECK(o.focal_stages() == Ints{0, 1, 2, 3});
  CHECK(o.focal_levels() == Ints{2, 2, 2, 2});
  CHECK(o.focal_windows() == Ints{7, 5, 3, 1});
  CHECK(o.focal_pool() == "fc");
  CHECK(o.expand_stages() == Ints{0, 1, 2, 3});
  CHECK(o.expand_sizes() == Ints{3, 3, 3, 3});
  CHECK(o.expand_layer() == "all");
  CHECK_FALSE(o.use_conv_embed());
  CHECK_FALSE(o.use_layerscale());
  CHECK(o.layerscale_value() == 1e-4);
  CHECK_FALSE(o.use_pre_norm());
}

TEST_CASE("focal_options_from_config follows every mapped key", "[config]") {
  Config c = Config::defaults();
  c.merge_opts({"DATA.IMG_SIZE",
                "96",
                "MODEL.NUM_CLASSES",
                "10",
                "MODEL.DROP_RATE",
                "0.1",
                "MODEL.DROP_PATH_RATE",
                "0.05",
                "TRAIN.USE_CHECKPOINT",
                "true",
                "MODEL.FOCAL.PATCH_SIZE",
                "2",
                "MODEL.FOCAL.IN_CHANS",
                "1",
                "MODEL.FOCAL.EMBED_DIM",
                "32",
                "MODEL.FOCAL.DEPTHS",
                "[1, 2, 1]",
                "MODEL.FOCAL.NUM_HEADS",
                "[1, 2, 4]",
                "MODEL.FOCAL.WINDOW_SIZE",
                "4",
                "MODEL.FOCAL.MLP_RATIO",
                "2",
                "MODEL.FOCAL.QKV_BIAS",
                "false",
                "MODEL.FOCAL.QK_SCALE",
                "0.5",
                "MODEL.FOCAL.APE",
                "true",
                "MODEL.FOCAL.PATCH_NORM",
                "false",
                "MODEL.FOCAL.USE_SHIFT",
                "true",
                "MODEL.FOCAL.FOCAL_STAGES",
                "[1]",
                "MODEL.FOCAL.FOCAL_LEVELS",
                "[3, 2, 1]",
                "MODEL.FOCAL.FOCAL_WINDOWS",
                "[4, 2, 1]",
                "MODEL.FOCAL.FOCAL_POOL",
                "conv",
                "MODEL.FOCAL.EXPAND_STAGES",
                "[0]",
                "MODEL.FOCAL.EXPAND_SIZES",
                "[2, 1, 0]",
                "MODEL.FOCAL.EXPAND_LAYER",
                "odd",
                "MODEL.FOCAL.USE_CONV_EMBED",
                "true",
                "MODEL.FOCAL.USE_LAYERSCALE",
                "true",
                "MODEL.FOCAL.LAYERSCALE_VALUE",
                "0.001",
                "MODEL.FOCAL.USE_PRE_NORM",
                "true",
                "MODEL.FOCAL.ATTN_DROP_RATE",
                "0.2"});
  const FocalTransformerOptions o = focal::focal_options_from_config(c);
  CHECK(o.img_size() == 96);
  CHECK(o.num_classes() == 10);
  CHECK(o.drop_rate() == 0.1);
  CHECK(o.drop_path_rate() == 0.05);
  CHECK(o.use_checkpoint());
  CHECK(o.patch_size() == 2);
  CHECK(o.in_chans() == 1);
  CHECK(o.embed_dim() == 32);
  CHECK(o.depths() == Ints{1, 2, 1});
  CHECK(o.num_heads() == Ints{1, 2, 4});
  CHECK(o.window_size() == 4);
  CHECK(o.mlp_ratio() == 2.0);
  CHECK_FALSE(o.qkv_bias());
  CHECK(o.qk_scale() == std::optional<double>(0.5));
  CHECK(o.ape());
  CHECK_FALSE(o.patch_norm());
  CHECK(o.use_shift());
  CHECK(o.focal_stages() == Ints{1});
  CHECK(o.focal_levels() == Ints{3, 2, 1});
  CHECK(o.focal_windows() == Ints{4, 2, 1});
  CHECK(o.focal_pool() == "conv");
  CHECK(o.expand_stages() == Ints{0});
  CHECK(o.expand_sizes() == Ints{2, 1, 0});
  CHECK(o.expand_layer() == "odd");
  CHECK(o.use_conv_embed());
  CHECK(o.use_layerscale());
  CHECK(o.layerscale_value() == 0.001);
  CHECK(o.use_pre_norm());
  CHECK(o.attn_drop_rate() == 0.2);

  // Per-stage lists shorter than DEPTHS and another model type are errors naming the key.
  c.set("MODEL.FOCAL.FOCAL_WINDOWS", "[4, 2]");
  CHECK_THAT(focal::test::config_error_of([&] { focal::focal_options_from_config(c); }),
             Contains("MODEL.FOCAL.FOCAL_WINDOWS"));
  c.set("MODEL.FOCAL.FOCAL_WINDOWS", "[4, 2, 1]");
  c.set("MODEL.TYPE", "halonet");
  CHECK_THAT(focal::test::config_error_of([&] { focal::focal_options_from_config(c); }),
             Contains("MODEL.TYPE") && Contains("halonet"));
}
