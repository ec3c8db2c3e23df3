// Numerical parity with the original implementation on every golden fixture: stage outputs, logits, loss
// and every parameter gradient, within the tolerances of ../shared/fixtures/focal/README.md.
#include "tests/model/fixture_reference.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

namespace {

const char* const kFixtures[] = {
    "focal_micro_224",        "focal_micro_useconv_224",     "focal_micro_shift_lscale_prenorm_224",
    "focal_micro_l3_conv_96", "focal_micro_l1_noexpand_224", "focal_micro_mean_even_128"};

}  // namespace

TEST_CASE("Focal Transformer reproduces the original on every fixture (CPU, float32)", "[parity]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) { focal::test::check_fixture_parity(name, focal::test::fixtures_dir(), torch::kCPU); }
  }
}

TEST_CASE("Focal Transformer reproduces the original on CUDA", "[parity][cuda]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) {
      // TF32 would exceed the float32 tolerances; parity is checked in full float32.
      at::globalContext().setAllowTF32CuBLAS(false);
      at::globalContext().setAllowTF32CuDNN(false);
      focal::test::check_fixture_parity(name, focal::test::fixtures_dir(), torch::kCUDA);
    }
  }
}

TEST_CASE("Analytic parameter and MAC counts equal the original's on every fixture", "[complexity]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixture folder not found: " << focal::test::fixtures_dir());
  for (const char* name : kFixtures) {
    SECTION(name) { focal::test::check_fixture_counts(focal::test::load_fixture(name)); }
  }
}
