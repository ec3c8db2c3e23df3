// Mixup / CutMix against timm's definitions: soft targets, mixing weights, CutMix area correction.
#include "data/transforms/mixup.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <catch2/catch.hpp>

using namespace focal::data;

namespace {

torch::Generator generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Distinct labels so each row's own and mirrored class are different.
torch::Tensor labels_of(int64_t b) { return torch::arange(b, torch::kLong); }

// lam from a soft target row: t[y] = lam * on + (1 - lam) * off.
double lam_from_target(const torch::Tensor& t, int64_t y, double smoothing, int64_t k) {
  const double off = smoothing / k, on = 1 - smoothing + off;
  return (t[y].item<double>() - off) / (on - off);
}

}  // namespace

TEST_CASE("smooth one-hot targets", "[mixup]") {
  const auto t = smooth_one_hot(torch::tensor({2, 0}, torch::kLong), 4, 0.1);
  CHECK(t.sizes() == torch::IntArrayRef({2, 4}));
  CHECK(t[0][2].item<float>() == Approx(1 - 0.1 + 0.025));
  CHECK(t[0][1].item<float>() == Approx(0.025));
  CHECK(t.sum(1).allclose(torch::ones({2})));
  CHECK_THROWS_AS(smooth_one_hot(torch::tensor({4}, torch::kLong), 4, 0.1), std::invalid_argument);
}

TEST_CASE("mixup blends each image with the mirrored batch at the targets' lambda", "[mixup]") {
  MixupOptions o;
  o.cutmix_alpha = 0.0;
  o.num_classes = 10;
  const Mixup mixup(o);
  auto gen = generator(4);
  for (int trial = 0; trial < 5; ++trial) {
    const auto x = torch::rand({6, 3, 8, 8});
    auto [mixed, target] = mixup(x.clone(), labels_of(6), gen);
    CHECK(target.sum(1).allclose(torch::ones({6})));
    const double lam = lam_from_target(target[0], 0, 0.1, 10);
    CHECK(lam_from_target(target[0], 5, 0.1, 10) == Approx(1 - lam).margin(1e-5));
    CHECK(lam >= 0);
    CHECK(lam <= 1);
    CHECK(mixed.allclose(x * lam + x.flip(0) * (1 - lam), 1e-5, 1e-5));
  }
}

TEST_CASE("cutmix pastes one box from the mirrored batch and corrects lambda to its area", "[mixup]") {
  MixupOptions o;
  o.mixup_alpha = 0.0;
  o.num_classes = 10;
  const Mixup cutmix(o);
  auto gen = generator(8);
  int boxes = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const auto x = torch::arange(4, torch::kFloat32).view({4, 1, 1, 1}).expand({4, 2, 16, 20}).contiguous();
    auto [mixed, target] = cutmix(x.clone(), labels_of(4), gen);
    const auto changed = (mixed != x).any(1);  // (B, H, W)
    const int64_t area = changed[0].sum().item<int64_t>();
    const double lam = lam_from_target(target[0], 0, 0.1, 10);
    CHECK(lam == Approx(1.0 - area / 320.0).margin(1e-5));
    CHECK(target.sum(1).allclose(torch::ones({4})));
    if (area > 0) {
      ++boxes;
      // The changed pixels form a rectangle holding the mirrored image's values.
      const auto ys = changed[0].any(1).nonzero().squeeze(1), xs = changed[0].any(0).nonzero().squeeze(1);
      const int64_t h = ys.numel(), w = xs.numel();
      CHECK(h * w == area);
      CHECK((mixed[0].masked_select(changed[0].unsqueeze(0).expand({2, 16, 20})) == 3.0f).all().item<bool>());
    }
  }
  CHECK(boxes > 10);
}

TEST_CASE("cutmix box clipping and the corrected lambda", "[mixup]") {
  auto gen = generator(1);
  for (int i = 0; i < 200; ++i) {
    const double lam = (i % 10) / 10.0;
    const auto box = cutmix_box(30, 40, lam, {}, gen);
    CHECK(box[0] >= 0);
    CHECK(box[1] <= 30);
    CHECK(box[2] >= 0);
    CHECK(box[3] <= 40);
    const auto cut_h = static_cast<int64_t>(30 * std::sqrt(1 - lam)),
               cut_w = static_cast<int64_t>(40 * std::sqrt(1 - lam));
    CHECK(box[1] - box[0] <= cut_h);
    CHECK(box[3] - box[2] <= cut_w);
    CHECK(cutmix_corrected_lam(box, 30, 40) ==
          Approx(1.0 - double((box[1] - box[0]) * (box[3] - box[2])) / 1200.0));
    CHECK(cutmix_corrected_lam(box, 30, 40) >= lam - 1e-9);  // clipping only shrinks the box
  }
  const auto mm = cutmix_box(100, 100, 0.5, {0.2, 0.8}, gen);
  CHECK(mm[1] - mm[0] >= 20);
  CHECK(mm[1] - mm[0] < 80);
}

TEST_CASE("mixup switches between mixup and cutmix, skips with prob 0, validates input", "[mixup]") {
  MixupOptions o;
  o.num_classes = 10;
  const Mixup mixup(o);
  auto gen = generator(2);
  int cut = 0, blend = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const auto x = torch::rand({4, 1, 8, 8});
    auto [mixed, target] = mixup(x.clone(), labels_of(4), gen);
    const auto changed = (mixed != x);
    const int64_t n = changed[0].sum().item<int64_t>();
    if (n == 64)
      ++blend;
    else if (n > 0)
      ++cut;
  }
  CHECK(cut > 10);
  CHECK(blend > 10);
  MixupOptions off = o;
  off.prob = 0.0;
  const auto x = torch::rand({4, 1, 8, 8});
  auto [same, target] = Mixup(off)(x.clone(), labels_of(4), gen);
  CHECK(torch::equal(same, x));
  CHECK(target.allclose(smooth_one_hot(labels_of(4), 10, 0.1)));
  CHECK_THROWS_AS(mixup(torch::rand({3, 1, 8, 8}), labels_of(3), gen), std::invalid_argument);
  MixupOptions elem = o;
  elem.mode = "elem";
  auto [m2, t2] = Mixup(elem)(torch::rand({6, 3, 8, 8}), labels_of(6), gen);
  CHECK(t2.sum(1).allclose(torch::ones({6})));
  MixupOptions pair = o;
  pair.mode = "pair";
  auto [m3, t3] = Mixup(pair)(torch::rand({6, 3, 8, 8}), labels_of(6), gen);
  CHECK(t3.sum(1).allclose(torch::ones({6})));
  // pair mode mixes i and B-1-i with the same lambda: their targets mirror each other.
  CHECK(t3[0][0].item<float>() == Approx(t3[5][5].item<float>()));
}
