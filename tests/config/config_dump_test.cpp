// dump() -> file -> load gives back the same configuration, and the dump is what PyYAML (the original's
// reader) reads as the same types and values.
#include "focal/config/config.h"
#include "tests/config/config_test_util.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using focal::Config;
namespace fs = std::filesystem;

namespace {

// A configuration that exercises every kind of value, the awkward strings and floats, nulls and MODEL.SPEC.
Config awkward_config() {
  Config c = Config::defaults();
  c.merge_opts({"TRAIN.BASE_LR",
                "1.0e-8",
                "TRAIN.MIN_LR",
                "0.1",
                "TRAIN.WARMUP_LR",
                "1e20",
                "TRAIN.CLIP_GRAD",
                "3",
                "TRAIN.WEIGHT_DECAY",
                "-0.0",
                "AUG.COLOR_JITTER",
                "0.30000000000000004",
                "SEED",
                "-42",
                "LOCAL_RANK",
                "9223372036854775807",
                "TRAIN.OPTIMIZER.BETAS",
                "[]",
                "AUG.CUTMIX_MINMAX",
                "[0.25, 0.75]",
                "MODEL.FOCAL.QK_SCALE",
                "0.125",
                "MODEL.FOCAL.DEPTHS",
                "[1]"});
  // Strings that would change meaning if written plainly.
  c.set("TAG", "'true'");
  c.set("MODEL.NAME", "'123'");
  c.set("DATA.DATA_PATH", "\"a: b # not a comment\"");
  c.set("OUTPUT", "\"quote\\\" backslash\\\\ tab\\t\"");
  c.set("MODEL.RESUME", "'2021-01-01'");
  c.set("AMP_OPT_LEVEL", "'null'");
  c.set("TRAIN.PRETRAINED", "' leading space'");
  c.set("AUG.AUTO_AUGMENT", "'yes'");
  c.set("MODEL.SPEC.FLAG", "on");
  c.set("MODEL.SPEC.LIST", "['x', '1']");
  c.set("MODEL.SPEC.NOTHING", "null");
  return c;
}

void expect_same(const Config& a, const Config& b) {
  REQUIRE(a.keys() == b.keys());
  for (const auto& key : a.keys()) {
    INFO(key);
    CHECK(a.is_null(key) == b.is_null(key));
    if (a.is_null(key)) continue;
    // Compare through every getter; one of them applies to each kind and they must agree on which.
    auto same = [&](auto tag) {
      using T = decltype(tag);
      std::optional<T> va, vb;
      try {
        va = a.get<T>(key);
      } catch (const focal::ConfigError&) {
      }
      try {
        vb = b.get<T>(key);
      } catch (const focal::ConfigError&) {
      }
      CHECK(va.has_value() == vb.has_value());
      if (va && vb) {
        if constexpr (std::is_same_v<T, double>) {
          CHECK((std::signbit(*va) == std::signbit(*vb) && *va == *vb));
        } else {
          CHECK(*va == *vb);
        }
      }
    };
    same(int64_t{});
    same(double{});
    same(bool{});
    same(std::string{});
    same(std::vector<int64_t>{});
    same(std::vector<double>{});
    same(std::vector<std::string>{});
  }
}

}  // namespace

TEST_CASE("dump and load round-trip every value", "[config]") {
  const Config original = awkward_config();
  // The values went in as intended (so that the round trip is not trivially comparing defaults).
  REQUIRE(original.get<std::string>("TAG") == "true");
  REQUIRE(original.get<std::string>("OUTPUT") == "quote\" backslash\\ tab\t");
  REQUIRE(original.get<double>("TRAIN.BASE_LR") == 1e-8);
  REQUIRE(original.get<double>("AUG.COLOR_JITTER") == 0.1 + 0.2);
  REQUIRE(original.get<int64_t>("LOCAL_RANK") == INT64_MAX);
  REQUIRE(original.get<bool>("MODEL.SPEC.FLAG"));

  const fs::path dir = focal::test::temp_dir("config_roundtrip");
  const std::string path = (dir / "config.yaml").string();
  original.save(path);
  CHECK(focal::test::read_text(path) == original.dump());
  // Written through a temporary file that is gone afterwards.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);

  // Loading needs the free-form MODEL.SPEC keys to be created again; everything else is in the schema.
  const Config loaded = Config::from_file(path);
  expect_same(original, loaded);
  CHECK(loaded.dump() == original.dump());

  // The defaults round-trip too (MODEL.SPEC empty, BASE [''], nulls).
  const std::string defaults_path = (dir / "defaults.yaml").string();
  Config::defaults().save(defaults_path);
  expect_same(Config::defaults(), Config::from_file(defaults_path));
}

TEST_CASE("save to an unwritable place is a clear error", "[config]") {
  const fs::path dir = focal::test::temp_dir("config_save");
  const std::string path = (dir / "missing_folder" / "config.yaml").string();
  CHECK_THAT(focal::test::config_error_of([&] { Config::defaults().save(path); }), Catch::Contains(path));
}

TEST_CASE("PyYAML reads the dump with the same types and values", "[config][python]") {
  auto python = focal::test::reference_python("yaml");
  if (!python) FOCAL_SKIP_MISSING("no Python with PyYAML (FOCAL_PYTHON)");
  const Config c = awkward_config();
  const fs::path dir = focal::test::temp_dir("config_pyyaml");
  const std::string yaml_path = (dir / "config.yaml").string();
  c.save(yaml_path);
  // The original reads configs with yaml.load(..., Loader=FullLoader); flatten to KEY<TAB>TYPE<TAB>repr.
  const std::string script = focal::test::write_text(dir / "flatten.py", R"(
import sys, yaml
data = yaml.load(open(sys.argv[1]), Loader=yaml.FullLoader)
def walk(prefix, node, out):
    for k, v in node.items():
        key = prefix + k
        if isinstance(v, dict) and v:
            walk(key + '.', v, out)
        elif not isinstance(v, dict):
            out.write('%s\t%s\t%s\n' % (key, type(v).__name__, repr(v)))
with open(sys.argv[2], 'w') as out:
    walk('', data, out)
)");
  const std::string out_path = (dir / "flat.txt").string();
  REQUIRE(focal::test::run_command("\"" + *python + "\" " + script + " " + yaml_path + " " + out_path) == 0);

  std::map<std::string, std::pair<std::string, std::string>> seen;
  std::istringstream lines(focal::test::read_text(out_path));
  for (std::string line; std::getline(lines, line);) {
    auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    seen[line.substr(0, t1)] = {line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)};
  }
  REQUIRE(seen.size() == c.keys().size());
  // Python's type for each key, expected from the key's C++ kind (getter that applies).
  auto python_type = [&](const std::string& key) -> std::string {
    if (c.is_null(key)) return "NoneType";
    auto applies = [&](auto tag) {
      try {
        c.get<decltype(tag)>(key);
        return true;
      } catch (const focal::ConfigError&) {
        return false;
      }
    };
    if (applies(int64_t{})) return "int";
    if (applies(double{})) return "float";
    if (applies(bool{})) return "bool";
    if (applies(std::string{})) return "str";
    return "list";
  };
  for (const auto& key : c.keys()) {
    INFO(key);
    REQUIRE(seen.count(key) == 1);
    CHECK(seen[key].first == python_type(key));
  }
  // Values, in Python's repr, for the awkward ones.
  CHECK(seen["TAG"].second == "'true'");
  CHECK(seen["MODEL.NAME"].second == "'123'");
  CHECK(seen["MODEL.RESUME"].second == "'2021-01-01'");
  CHECK(seen["AMP_OPT_LEVEL"].second == "'null'");
  CHECK(seen["AUG.AUTO_AUGMENT"].second == "'yes'");
  CHECK(seen["TRAIN.PRETRAINED"].second == "' leading space'");
  CHECK(seen["DATA.DATA_PATH"].second == "'a: b # not a comment'");
  CHECK(seen["OUTPUT"].second == "'quote\" backslash\\\\ tab\\t'");
  CHECK(seen["TRAIN.BASE_LR"].second == "1e-08");
  CHECK(seen["TRAIN.WARMUP_LR"].second == "1e+20");
  CHECK(seen["TRAIN.CLIP_GRAD"].second == "3.0");
  CHECK(seen["TRAIN.WEIGHT_DECAY"].second == "-0.0");
  CHECK(seen["AUG.COLOR_JITTER"].second == "0.30000000000000004");
  CHECK(seen["TRAIN.OPTIMIZER.EPS"].second == "1e-08");
  CHECK(seen["TRAIN.OPTIMIZER.BETAS"].second == "[]");
  CHECK(seen["AUG.CUTMIX_MINMAX"].second == "[0.25, 0.75]");
  CHECK(seen["MODEL.FOCAL.QK_SCALE"].second == "0.125");
  CHECK(seen["AUG.MIXUP"].second == "0.8");
  CHECK(seen["LOCAL_RANK"].second == "9223372036854775807");
  CHECK(seen["BASE"].second == "['']");
  CHECK(seen["MODEL.SPEC.LIST"].second == "['x', '1']");
}
