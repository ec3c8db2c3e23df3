#include "tests/support/finetune_reference.h"

#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

namespace focal::test {

namespace {

const char* kScript =
    "import sys, torch, torch.nn.functional as F\n"
    "sd = torch.load(sys.argv[1], map_location='cpu')['model']\n"
    "out = {}\n"
    "for line in open(sys.argv[2]):\n"
    "    name, n = line.split(); n = int(n); t = sd[name].float()\n"
    "    leaf = name.split('.')[-1]\n"
    "    if leaf == 'relative_position_bias_table':\n"
    "        L, H = t.shape; s1 = int(L ** 0.5)\n"
    "        r = F.interpolate(t.permute(1, 0).reshape(1, H, s1, s1), size=(n, n), mode='bicubic')\n"
    "        out[name] = r.reshape(H, n * n).permute(1, 0).contiguous()\n"
    "    elif 'pool_layers' in name:\n"
    "        s1 = int(t.shape[1] ** 0.5)\n"
    "        r = F.interpolate(t.reshape(1, 1, s1, s1), size=(n, n), mode='bicubic')\n"
    "        out[name] = r.reshape(1, n * n) * (s1 * s1) / (n * n)\n"
    "    else:\n"
    "        H = t.shape[0]; s1 = int(t.shape[1] ** 0.5)\n"
    "        out[name] = F.interpolate(t.reshape(1, H, s1, s1), size=(n, n), mode='bicubic').reshape(H, n * "
    "n)\n"
    "torch.save(out, sys.argv[3])\n";

// The side of the grid `t` holds: rows of a bias table (L, nH), columns otherwise.
int64_t grid_side(const std::string& name, const torch::Tensor& t) {
  const bool bias_table = name.substr(name.rfind('.') + 1) == "relative_position_bias_table";
  const int64_t cells = bias_table ? t.size(0) : t.size(1);
  return static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(cells))));
}

}  // namespace

void check_resized_as_bicubic(const std::string& python, const std::string& checkpoint,
                              const std::vector<std::string>& resized, torch::nn::Module& model,
                              const std::filesystem::path& dir) {
  REQUIRE(!resized.empty());
  const auto params = model.named_parameters();
  std::ofstream(dir / "ref.py") << kScript;
  {
    std::ofstream list(dir / "names.txt");
    for (const auto& entry : resized) {
      const auto name = entry.substr(0, entry.find(':'));
      REQUIRE(params.contains(name));
      list << name << " " << grid_side(name, params[name]) << "\n";
    }
  }
  const auto out = dir / "ref.pth";
  REQUIRE(run_command("\"" + python + "\" \"" + (dir / "ref.py").string() + "\" \"" + checkpoint + "\" \"" +
                      (dir / "names.txt").string() + "\" \"" + out.string() + "\"") == 0);
  const auto expected = focal::io::read_state_dict(out.string());
  REQUIRE(expected.size() == resized.size());
  for (const auto& [name, t] : expected) {
    INFO(name);
    CHECK(torch::allclose(params[name], t, 1e-5, 1e-6));
  }
}

}  // namespace focal::test
