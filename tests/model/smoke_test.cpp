#include <catch2/catch.hpp>
#include <torch/torch.h>
torch::Tensor focal_smoke();
TEST_CASE("smoke") { REQUIRE(focal_smoke().sum().item<float>() == 2.0f); }
TEST_CASE("smoke cuda", "[cuda]") { REQUIRE(torch::ones({1}, torch::kCUDA).sum().item<float>() == 1.0f); }
