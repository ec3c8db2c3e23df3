// focal-verify's bf16 parity (eval/verify.h, bf16_tolerances): the fixture's forward and backward under
// bfloat16 autocast stay within the stated tolerances of the float32 references of the original, bf16 really
// ran (its deviations are far above float32's), and a deliberately perturbed weight fails.
#include "eval/verify.h"
#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <algorithm>

namespace {

struct Fixture {
  focal::Classifier model;
  std::map<std::string, torch::Tensor> reference;
};

Fixture load_fixture(const std::string& name) {
  const auto dir = focal::test::fixtures_dir();
  Fixture f{focal::eval::model_from_config_file((dir / (name + ".json")).string()),
            focal::eval::read_reference((dir / (name + ".io.pth")).string())};
  const auto weights = (dir / (name + ".pth")).string();
  focal::io::load_state_dict(*f.model, f.model->adapt_checkpoint(focal::io::read_state_dict(weights)),
                             /*strict=*/true, weights);
  return f;
}

double largest(const focal::eval::VerifyResult& r, const std::string& prefix) {
  double m = 0;
  for (const auto& row : r.rows) {
    if (row.name.rfind(prefix, 0) == 0) m = std::max(m, row.difference);
  }
  return m;
}

bool failed(const focal::eval::VerifyResult& r, const std::string& name) {
  return std::any_of(r.rows.begin(), r.rows.end(),
                     [&](const auto& row) { return row.name == name && !row.passed; });
}

}  // namespace

TEST_CASE("focal-verify bf16: the fixture passes under bfloat16 autocast, a perturbed weight fails",
          "[verify][bf16]") {
  if (!focal::test::have_fixtures()) {
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::fixtures_dir());
  }
  const auto tol = focal::eval::bf16_tolerances();
  REQUIRE(tol.relative);
  auto f = load_fixture("focal_micro_224");
  const torch::Device cpu(torch::kCPU);

  const auto fp32 = focal::eval::verify_model(*f.model, f.reference, cpu);
  const auto bf16 = focal::eval::verify_model(*f.model, f.reference, cpu, tol, torch::kBFloat16);
  CHECK(fp32.passed());
  CHECK(bf16.passed());
  CHECK(bf16.problems.empty());
  CHECK(bf16.rows.size() == fp32.rows.size() + 1);  // and the relative L2 of all gradients
  // bf16 really ran: its logits deviate by far more than float32's (1e-6 here), yet within the tolerance.
  CHECK(largest(fp32, "logits") < 1e-5);
  CHECK(largest(bf16, "logits") > 1e-3);
  CHECK(largest(bf16, "grad (all") > 1e-3);

  SECTION("a perturbed classifier weight") {
    f.model->named_parameters()["head.weight"].detach().mul_(1.25);
    const auto r = focal::eval::verify_model(*f.model, f.reference, cpu, tol, torch::kBFloat16);
    CHECK_FALSE(r.passed());
    CHECK(failed(r, "logits"));
  }
  SECTION("noise on the patch embedding's convolution") {
    // (Noise of half the largest value on one qkv weight of the first block moves stage0 by about 1%: within
    // bf16's noise, so bf16 parity cannot see it; float32 parity does: 4.7e-2 against its 1e-4.)
    auto w = f.model->named_parameters()["patch_embed.proj.weight"].detach();
    torch::manual_seed(1);
    w.add_(torch::randn_like(w) * w.abs().max() * 0.5);
    const auto r = focal::eval::verify_model(*f.model, f.reference, cpu, tol, torch::kBFloat16);
    INFO("bf16 patch_embed " << largest(r, "patch_embed") << " stage0 " << largest(r, "stage0"));
    CHECK_FALSE(r.passed());
    CHECK(failed(r, "patch_embed"));
  }
}
