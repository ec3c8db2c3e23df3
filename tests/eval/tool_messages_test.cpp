// What the executables print for a user's mistakes: a missing GPU is the same one plain line in every tool
// that takes --device (no LibTorch backtrace), and the message nits of the tools (no doubled prefix, an
// unknown --family, --help of focal-data-bench and halonet-compare).
#include "focal/runtime/device.h"
#include "tests/support/test_env.h"

#include <torch/cuda.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

namespace {

struct ToolRun {
  int status = 0;
  std::vector<std::string> lines;  // stdout and stderr together
  std::string text;
};

ToolRun run_tool(const std::string& tool, const std::string& args) {
  const auto dir = focal::test::temp_dir("tool_" + tool);
  const auto out = dir / "out.txt";
  const auto binary = std::filesystem::path(FOCAL_BINARY_DIR) / "bin" / tool;
  REQUIRE(std::filesystem::exists(binary));
  ToolRun r;
  r.status = focal::test::run_command("cd \"" + dir.string() + "\" && \"" + binary.string() + "\" " + args +
                                      " > \"" + out.string() + "\" 2>&1");
  std::ifstream in(out);
  std::stringstream s;
  s << in.rdbuf();
  r.text = s.str();
  std::istringstream lines(r.text);
  for (std::string line; std::getline(lines, line);) r.lines.push_back(line);
  return r;
}

}  // namespace

TEST_CASE("parse_device accepts cpu and cuda[:N] and names the problem otherwise", "[eval][device]") {
  CHECK(focal::parse_device("cpu").is_cpu());
  CHECK_THROWS_WITH(focal::parse_device("gpu"), "--device gpu: expected cpu, cuda or cuda:N");
  CHECK_THROWS_WITH(focal::parse_device("cuda:one"),
                    Catch::Contains("--device cuda:one") && Catch::Contains("index must be a number"));
  CHECK_THROWS_WITH(focal::parse_device("cuda", "--where"), Catch::StartsWith("--where cuda: "));
  if (torch::cuda::is_available()) {
    CHECK(focal::parse_device("cuda:0").is_cuda());
    CHECK_THROWS_WITH(focal::parse_device("cuda:999"), Catch::Contains("CUDA device"));
  } else {
    CHECK_THROWS_WITH(focal::parse_device("cuda"), "--device cuda: LibTorch sees no CUDA device");
    CHECK_THROWS_WITH(focal::parse_device("cuda:1"), "--device cuda:1: LibTorch sees no CUDA device");
  }
}

TEST_CASE("every tool with --device says in one plain line that there is no GPU", "[eval][device]") {
  if (torch::cuda::is_available()) FOCAL_SKIP("a CUDA device is present: nothing to refuse");
  const std::string cfg = std::string(FOCAL_SOURCE_DIR) + "/configs/fmnist_focal_tiny.yaml";
  const std::vector<std::pair<std::string, std::string>> tools = {
      {"focal-train", "--cfg \"" + cfg + "\" --output out --device cuda"},
      {"focal-bench", "--device cuda"},
      {"focal-bench", "--model halonet_h0 --device cuda --mode forward"},
      {"focal-verify", "--config a.json --checkpoint b.pth --reference c.pth --device cuda"},
      {"halonet-compare", "--device cuda"}};
  for (const auto& [tool, args] : tools) {
    INFO(tool << " " << args);
    const auto r = run_tool(tool, args);
    INFO(r.text);
    CHECK(r.status != 0);
    REQUIRE(r.lines.size() == 1);
    CHECK_THAT(r.lines[0], Catch::StartsWith(tool + ": ") &&
                               Catch::EndsWith("--device cuda: LibTorch sees no CUDA device"));
  }
}

TEST_CASE("tool messages: no doubled prefix, unknown --family, --help of every tool", "[eval][cli]") {
  auto unknown = run_tool("focal-info", "--bogus");
  CHECK(unknown.status != 0);
  REQUIRE(unknown.lines.size() == 1);
  CHECK(unknown.lines[0] == "focal-info: unknown option '--bogus' (see --help)");

  auto family = run_tool("focal-info", "--family foo");
  CHECK(family.status != 0);
  REQUIRE(family.lines.size() == 1);
  // The known families are listed (the zoo grows: focal, focalv2, halonet, swin, ...).
  CHECK_THAT(family.lines[0], Catch::Contains("--family foo") && Catch::Contains("(known: focal, ") &&
                                  Catch::Contains("halonet"));
  auto halonet = run_tool("focal-info", "--family halonet");
  CHECK(halonet.status == 0);
  CHECK_THAT(halonet.text, Catch::Contains("halonet_h0") && !Catch::Contains("focal_tiny"));

  // --help: exit 0, every option with a description.
  for (const std::string tool : {"focal-data-bench", "halonet-compare", "focal-bench", "focal-info",
                                 "focal-verify", "focal-eval", "focal-tables"}) {
    INFO(tool);
    auto help = run_tool(tool, "--help");
    CHECK(help.status == 0);
    CHECK_THAT(help.text, Catch::StartsWith("usage: " + tool));
    for (size_t i = 0; i < help.lines.size(); ++i) {
      if (help.lines[i].rfind("  --", 0) != 0) continue;
      INFO(help.lines[i]);
      REQUIRE(i + 1 < help.lines.size());
      CHECK(help.lines[i + 1].size() > 8);  // the description under the option
    }
  }
  CHECK_THAT(run_tool("focal-data-bench", "--help").text,
             Catch::Contains("--workers") && Catch::Contains("threads"));
  CHECK_THAT(run_tool("halonet-compare", "--help").text,
             Catch::Contains("--iters") && Catch::Contains("--device"));
  auto train_help = run_tool("focal-train", "--help");
  CHECK(train_help.status == 0);
  CHECK_THAT(train_help.text, Catch::Contains("--no-resume-opt") && Catch::Contains("--num-classes"));
}
