// Every registered transformer (Focal, Focal-v2, Swin) built at full size, one image at its input size
// forward and backward on the CPU: finite logits of the registered shape, finite loss, and a finite
// gradient on every parameter. (HaloNet's full-size runs are in tests/halonet.)
#include "focal/zoo/model_zoo.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

#include <cstdlib>

namespace {

void check_full_size(const std::string& name) {
  torch::manual_seed(0);
  const auto entry = focal::registered_model(name);
  auto model = focal::create_model(name);
  model->train();
  auto images = torch::randn({1, 3, entry.img_size, entry.img_size});
  auto logits = model->forward(images);  // (1, 1000)
  REQUIRE(logits.sizes() == torch::IntArrayRef({1, 1000}));
  CHECK(torch::isfinite(logits).all().item<bool>());
  auto loss = torch::nn::functional::cross_entropy(logits, torch::tensor({7}));
  CHECK(std::isfinite(loss.item<double>()));
  loss.backward();
  int64_t with_grad = 0, total = 0;
  for (const auto& p : model->named_parameters()) {
    ++total;
    INFO(name << ": " << p.key());
    REQUIRE(p.value().grad().defined());
    CHECK(torch::isfinite(p.value().grad()).all().item<bool>());
    ++with_grad;
  }
  CHECK(with_grad == total);
}

bool is_tiny(const std::string& name) { return name.find("_tiny_") != std::string::npos; }

}  // namespace

// The tiny models (Focal-T, Focal-T conv, Focal-v2-T, Swin-T) run by default, about 10 s each on 2 cores.
TEST_CASE("every registered tiny Focal, Focal-v2 and Swin model trains one step at full size",
          "[zoo][full_size]") {
  for (const auto& entry : focal::registered_models()) {
    if (entry.family == "halonet" || !is_tiny(entry.name)) continue;
    SECTION(entry.name) { check_full_size(entry.name); }
  }
}

// Small, base and 384 px models take 15-35 s each: hidden from a plain run and skipped under CTest unless
// FOCAL_SLOW_TESTS is set (as the HaloNet H3-H7 case):  FOCAL_SLOW_TESTS=1 test_model_zoo "[.slow]"
TEST_CASE("every registered larger Focal, Focal-v2 and Swin model trains one step at full size",
          "[zoo][full_size][.slow]") {
  if (!std::getenv("FOCAL_SLOW_TESTS"))
    FOCAL_SKIP("slow (S/B/384 at full size): set FOCAL_SLOW_TESTS=1 to run");
  for (const auto& entry : focal::registered_models()) {
    if (entry.family == "halonet" || is_tiny(entry.name)) continue;
    SECTION(entry.name) { check_full_size(entry.name); }
  }
}
