// The options a PyTorch/timm user reaches for (--seed, --lr, --workers, --model, --num-classes) are aliases
// of their configuration keys with the precedence of the other options (defaults < --cfg < --opts < options),
// and are listed in --help; and --no-resume-opt is parsed.
#include "tests/support/test_env.h"
#include "train/cli.h"

#include <catch2/catch.hpp>

#include <fstream>

using namespace focal::train;

TEST_CASE("--seed, --lr, --workers, --model, --num-classes set their keys over the file and --opts",
          "[train][cli]") {
  auto dir = focal::test::temp_dir("cli_aliases");
  const auto cfg = dir / "run.yaml";
  std::ofstream(cfg) << "MODEL:\n  NAME: from_file\n  NUM_CLASSES: 7\nDATA:\n  NUM_WORKERS: 3\nTRAIN:\n"
                        "  BASE_LR: 1.0e-03\nSEED: 11\n";
  const std::vector<std::string> opts = {
      "--opts", "SEED",       "12",        "TRAIN.BASE_LR",     "2.0e-03", "DATA.NUM_WORKERS",
      "4",      "MODEL.NAME", "from_opts", "MODEL.NUM_CLASSES", "8"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--cfg", cfg.string(), "--output", (dir / "out").string()};
    args.insert(args.end(), opts.begin(), opts.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return resolve_config(parse_cli(args));
  };
  // --opts over the file.
  auto base = with({});
  CHECK(base.get<int64_t>("SEED") == 12);
  CHECK(base.get<double>("TRAIN.BASE_LR") == 2e-3);
  CHECK(base.get<int64_t>("DATA.NUM_WORKERS") == 4);
  CHECK(base.get<std::string>("MODEL.NAME") == "from_opts");
  CHECK(base.get<int64_t>("MODEL.NUM_CLASSES") == 8);
  // The aliases over --opts, wherever they stand on the command line.
  auto c = with(
      {"--seed", "13", "--lr", "3.5e-4", "--workers", "0", "--model", "from_alias", "--num-classes", "9"});
  CHECK(c.get<int64_t>("SEED") == 13);
  CHECK(c.get<double>("TRAIN.BASE_LR") == 3.5e-4);
  CHECK(c.get<int64_t>("DATA.NUM_WORKERS") == 0);
  CHECK(c.get<std::string>("MODEL.NAME") == "from_alias");
  CHECK(c.get<int64_t>("MODEL.NUM_CLASSES") == 9);
  CHECK(c.get<std::string>("OUTPUT") == (dir / "out" / "from_alias" / "default").string());  // the run folder
  auto before = resolve_config(parse_cli({"--seed", "14", "--cfg", cfg.string(), "--opts", "SEED", "15"}));
  CHECK(before.get<int64_t>("SEED") == 14);
  // A number that is not one is an error naming the option.
  CHECK_THROWS_WITH(parse_cli({"--cfg", cfg.string(), "--lr", "fast"}), Catch::Contains("--lr"));
  CHECK_THROWS_WITH(parse_cli({"--cfg", cfg.string(), "--seed", "1.5"}), Catch::Contains("--seed"));
  CHECK_THROWS_WITH(parse_cli({"--cfg", cfg.string(), "--num-classes"}), Catch::Contains("--num-classes"));
}

TEST_CASE("--help lists the aliases with their keys, --no-resume-opt is parsed, --dtype points to --amp",
          "[train][cli]") {
  const auto help = cli_usage();
  for (const char* line : {"--seed N                 SEED", "--lr LR                  TRAIN.BASE_LR",
                           "--workers N              DATA.NUM_WORKERS", "--model NAME             MODEL.NAME",
                           "--num-classes N          MODEL.NUM_CLASSES", "--no-resume-opt"}) {
    INFO(line);
    CHECK_THAT(help, Catch::Contains(line));
  }
  CHECK_FALSE(parse_cli({"--cfg", "x.yaml"}).no_resume_opt);
  CHECK(parse_cli({"--cfg", "x.yaml", "--no-resume-opt"}).no_resume_opt);
  // The other tools' spelling of mixed precision points to focal-train's.
  CHECK_THROWS_WITH(parse_cli({"--cfg", "x.yaml", "--dtype", "bf16"}), Catch::Contains("--amp"));
}
