// Cases for the checks of the skip mechanism itself (tests/CMakeLists.txt runs them one by one and checks the
// exit status): all hidden, so that no plain run picks them up.
#include "tests/support/test_env.h"

#include <torch/cuda.h>
#include <catch2/catch.hpp>

TEST_CASE("skip demo: a missing reference", "[.skipdemo]") { FOCAL_SKIP_MISSING("demo reference absent"); }

TEST_CASE("skip demo: another reason", "[.skipdemo]") { FOCAL_SKIP("demo: not asked for"); }

TEST_CASE("skip demo: a skip after assertions", "[.skipdemo]") {
  CHECK(1 + 1 == 2);
  FOCAL_SKIP_MISSING("demo reference absent");
}

TEST_CASE("skip demo: runs", "[.skipdemo][tagdemo]") { CHECK(2 * 2 == 4); }

TEST_CASE("skip demo: needs CUDA", "[.skipdemo][tagdemo][cuda]") { REQUIRE(torch::cuda::is_available()); }

TEST_CASE("--a name that reads like an option", "[.skipdemo]") { CHECK(3 - 1 == 2); }
