// Transforms against their definitions and against Pillow + torchvision + timm run as a Python reference.
#include "data/transforms/transforms.h"
#include "data/datasets/file_io.h"
#include "data/decode/image_tensor.h"
#include "data/transforms/affine.h"
#include "data/transforms/color_jitter.h"
#include "data/transforms/image_ops.h"
#include "data/transforms/rand_augment.h"
#include "data/transforms/random_erasing.h"
#include "data/transforms/random_resized_crop.h"
#include "tests/data/data_test_util.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace focal;
using namespace focal::data;
namespace fs = std::filesystem;

namespace {

RawSample sample_from_file(const fs::path& p) {
  RawSample s;
  s.bytes = read_file(p);
  s.name = p.string();
  return s;
}

std::string py_list(const std::vector<fs::path>& files) {
  std::ostringstream os;
  os << "[";
  for (const auto& f : files) os << "r'''" << f.string() << "''',";
  os << "]";
  return os.str();
}

// Largest difference in grey levels between two normalised (C,H,W) tensors.
double grey_level_diff(const torch::Tensor& a, const torch::Tensor& b) {
  const auto std = torch::tensor({0.229, 0.224, 0.225}, torch::kFloat32).view({3, 1, 1});
  return ((a - b) * std * 255.0).abs().max().item<double>();
}

torch::Tensor run_transform(const SampleTransform& t, const RawSample& s, uint64_t seed) {
  const auto shape = t.output_shape();
  auto out = torch::empty({shape[0], shape[1], shape[2]});
  Rng rng(seed);
  ImageDecoder decoder;
  t(s, rng, decoder, out.data_ptr<float>());
  return out;
}

}  // namespace

TEST_CASE("eval transform matches Pillow + torchvision Resize/CenterCrop/Normalize", "[python][transforms]") {
  const auto files = test::bench_jpegs(600);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs (../shared/bench/imagenet-like-jpeg) not found");
  const auto py = test::python_interpreter();
  if (!py) FOCAL_SKIP_MISSING("no Python interpreter for the reference");
  // Every 50th photograph: all five sizes of the corpus appear.
  std::vector<fs::path> picked;
  for (size_t i = 0; i < files.size(); i += 50) picked.push_back(files[i]);
  const fs::path dir = test::temp_dir("eval_ref");
  if (!test::run_python(*py, dir, "torch, torchvision, PIL",
                        R"(
import numpy as np, torch
from PIL import Image
from torchvision import transforms as T
files = )" + py_list(picked) +
                            R"(
norm = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
crop = T.Compose([T.Resize(256, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(224), T.ToTensor(), norm])
squash = T.Compose([T.Resize((224, 224), interpolation=T.InterpolationMode.BICUBIC), T.ToTensor(), norm])
for i, f in enumerate(files):
    im = Image.open(f).convert('RGB')
    crop(im).numpy().astype(np.float32).tofile(r')" +
                            dir.string() + R"(/crop_%d.raw' % i)
    squash(im).numpy().astype(np.float32).tofile(r')" +
                            dir.string() + R"(/squash_%d.raw' % i)
)"))
    FOCAL_SKIP_MISSING("Python with torch, torchvision and Pillow not found");
  const EvalTransform crop_t(EvalTransformOptions{});
  const EvalTransform squash_t(EvalTransformOptions().center_crop(false));
  for (size_t i = 0; i < picked.size(); ++i) {
    const RawSample s = sample_from_file(picked[i]);
    const auto ref_crop =
        torch::from_blob(test::read_floats(dir / ("crop_" + std::to_string(i) + ".raw")).data(),
                         {3, 224, 224})
            .clone();
    const auto ref_squash =
        torch::from_blob(test::read_floats(dir / ("squash_" + std::to_string(i) + ".raw")).data(),
                         {3, 224, 224})
            .clone();
    INFO(picked[i]);
    CHECK(grey_level_diff(run_transform(crop_t, s, 0), ref_crop) <= 1.0 + 1e-3);
    CHECK(grey_level_diff(run_transform(squash_t, s, 0), ref_squash) <= 1.0 + 1e-3);
  }
}

TEST_CASE("random resized crop equals Pillow crop + bicubic resize of the drawn box",
          "[python][transforms]") {
  const auto files = test::bench_jpegs(600);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const auto py = test::python_interpreter();
  if (!py) FOCAL_SKIP_MISSING("no Python interpreter for the reference");
  std::vector<fs::path> picked;
  for (size_t i = 7; i < files.size(); i += 75) picked.push_back(files[i]);
  const TrainTransform t(TrainTransformOptions().dct_scaling(false));
  const fs::path dir = test::temp_dir("rrc_ref");
  std::ostringstream boxes;
  std::vector<Image> ours;
  for (size_t i = 0; i < picked.size(); ++i) {
    const RawSample s = sample_from_file(picked[i]);
    const Image full = test::load_image(picked[i]);
    Rng r1(100 + i), r2(100 + i);
    const Rect box = sample_random_resized_crop(r1, full.width(), full.height(), RandomResizedCropOptions{});
    ImageDecoder decoder;
    ours.push_back(t.random_resized_crop(s, r2, decoder));
    boxes << "(" << box.x << "," << box.y << "," << box.x + box.width << "," << box.y + box.height << "),";
  }
  if (!test::run_python(*py, dir, "PIL, numpy", R"(
import numpy as np
from PIL import Image
files = )" + py_list(picked) + R"(
boxes = [)" + boxes.str() + R"(]
for i, (f, b) in enumerate(zip(files, boxes)):
    im = Image.open(f).convert('RGB').crop(b).resize((224, 224), Image.BICUBIC)
    np.asarray(im).tofile(r')" + dir.string() + R"(/rrc_%d.raw' % i)
)"))
    FOCAL_SKIP_MISSING("Python with Pillow not found");
  for (size_t i = 0; i < picked.size(); ++i) {
    const auto ref = test::read_bytes(dir / ("rrc_" + std::to_string(i) + ".raw"));
    REQUIRE(ref.size() == static_cast<size_t>(ours[i].num_bytes()));
    int max_diff = 0;
    for (size_t k = 0; k < ref.size(); ++k)
      max_diff = std::max(max_diff, std::abs(int(ref[k]) - int(ours[i].data()[k])));
    INFO(picked[i]);
    CHECK(max_diff == 0);
  }
}

TEST_CASE("random resized crop parameters follow timm's definition", "[transforms]") {
  const RandomResizedCropOptions o;
  Rng rng(7);
  int fallbacks = 0;
  for (int i = 0; i < 2000; ++i) {
    const int64_t w = 50 + (i * 37) % 600, h = 50 + (i * 53) % 500;
    const Rect r = sample_random_resized_crop(rng, w, h, o);
    REQUIRE(r.x >= 0);
    REQUIRE(r.y >= 0);
    REQUIRE(r.x + r.width <= w);
    REQUIRE(r.y + r.height <= h);
    const double area = double(r.width) * r.height / (double(w) * h);
    const double ratio = double(r.width) / r.height;
    // Rounding each side to whole pixels moves area and ratio a little.
    const double slack_area = (r.width + r.height + 1.0) / (double(w) * h);
    const bool regular = area >= 0.08 - slack_area && area <= 1.0 + slack_area &&
                         ratio >= 0.75 * (1 - 1.0 / r.height) - 1e-9 &&
                         ratio <= 4.0 / 3.0 * (1 + 1.0 / r.height) + 1e-9;
    if (!regular) ++fallbacks;
    CHECK(regular);
  }
  CHECK(fallbacks == 0);
  // A 1000x10 strip defeats all ten attempts: the central crop clamped to ratio 4/3 remains.
  Rng strip(1);
  const Rect c = sample_random_resized_crop(strip, 1000, 10, o);
  CHECK(c.height == 10);
  CHECK(c.width == 13);  // round(10 * 4 / 3)
  CHECK(c.x == (1000 - 13) / 2);
  CHECK(c.y == 0);
}

TEST_CASE("reduced-scale JPEG decoding is chosen only when the crop keeps the output resolution",
          "[transforms]") {
  CHECK(dct_scale_for_crop(Rect{0, 0, 1000, 900}, 224, 224) == 4);
  CHECK(dct_scale_for_crop(Rect{0, 0, 448, 448}, 224, 224) == 2);
  CHECK(dct_scale_for_crop(Rect{0, 0, 447, 1000}, 224, 224) == 1);
  CHECK(dct_scale_for_crop(Rect{0, 0, 1792, 1792}, 224, 224) == 8);
}

TEST_CASE("reduced-scale JPEG decoding of a photograph stays close to the full-resolution path",
          "[transforms]") {
  const auto files = test::bench_jpegs(600);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  // A 640x480 photograph with the whole-image crop allows 1/2 scale; the result stays close to the
  // full-resolution path (a misplaced box would not).
  for (const auto& f : files) {
    const Image full = test::load_image(f);
    if (full.width() != 640) continue;
    const RawSample s = sample_from_file(f);
    const TrainTransform fast(TrainTransformOptions().crop(
        RandomResizedCropOptions().scale_min(1).scale_max(1).ratio_min(4.0 / 3).ratio_max(4.0 / 3)));
    const TrainTransform exact(TrainTransformOptions().dct_scaling(false).crop(
        RandomResizedCropOptions().scale_min(1).scale_max(1).ratio_min(4.0 / 3).ratio_max(4.0 / 3)));
    Rng r1(3), r2(3);
    ImageDecoder decoder;
    const Image a = fast.random_resized_crop(s, r1, decoder);
    const Image b = exact.random_resized_crop(s, r2, decoder);
    double total = 0;
    for (int64_t k = 0; k < a.num_bytes(); ++k) total += std::abs(int(a.data()[k]) - int(b.data()[k]));
    CHECK(total / a.num_bytes() < 3.0);
    return;
  }
  FAIL("no 640x480 bench image");
}

TEST_CASE("horizontal flip mirrors the normalised crop", "[transforms]") {
  RawSample s;
  Image img(40, 50, 3);
  for (int64_t i = 0; i < img.num_bytes(); ++i) img.data()[i] = static_cast<uint8_t>((i * 7) % 251);
  s.image = std::move(img);
  auto opts = TrainTransformOptions().img_size(24).auto_augment("none").color_jitter(0).reprob(0);
  const TrainTransform never(opts.hflip(0.0));
  const TrainTransform always(TrainTransformOptions(opts).hflip(1.0));
  const auto a = run_transform(never, s, 5);
  const auto b = run_transform(always, s, 5);
  CHECK(torch::equal(a.flip({2}), b));
  CHECK(!torch::equal(a, b));
}

TEST_CASE("random erasing boxes and fill follow timm's definition", "[transforms]") {
  const auto o = RandomErasingOptions().probability(1.0);
  Rng rng(11);
  for (int i = 0; i < 500; ++i) {
    const auto boxes = sample_erasing_boxes(rng, 224, 224, o);
    REQUIRE(boxes.size() <= 1);
    for (const Rect& r : boxes) {
      CHECK(r.x >= 0);
      CHECK(r.y >= 0);
      CHECK(r.x + r.width <= 224);
      CHECK(r.y + r.height <= 224);
      const double area = double(r.width) * r.height / (224.0 * 224.0);
      CHECK(area >= 0.02 - (r.width + r.height) / (224.0 * 224.0));
      CHECK(area <= 1.0 / 3 + (r.width + r.height) / (224.0 * 224.0));
    }
  }
  Rng never(1);
  CHECK(sample_erasing_boxes(never, 224, 224, RandomErasingOptions().probability(0.0)).empty());
  // 'pixel' mode replaces exactly the drawn box with unit normal noise; 'const' with zeros.
  for (const std::string mode : {"pixel", "const"}) {
    auto t = torch::full({3, 64, 64}, 7.0f);
    Rng a(21), b(21);
    const auto eo = RandomErasingOptions().probability(1.0).mode(mode);
    const auto boxes = sample_erasing_boxes(a, 64, 64, eo);
    REQUIRE(boxes.size() == 1);
    random_erase(t.data_ptr<float>(), 3, 64, 64, b, eo);
    const Rect r = boxes[0];
    auto inside = t.index({torch::indexing::Slice(), torch::indexing::Slice(r.y, r.y + r.height),
                           torch::indexing::Slice(r.x, r.x + r.width)});
    CHECK((t != 7.0f).sum().item<int64_t>() == inside.numel());
    if (mode == "const") {
      CHECK(inside.abs().max().item<float>() == 0.0f);
    } else if (inside.numel() > 300) {
      CHECK(std::abs(inside.mean().item<double>()) < 0.25);
      CHECK(std::abs(inside.std().item<double>() - 1.0) < 0.25);
    }
  }
}

TEST_CASE("RandAugment spec parsing and timm's magnitude mapping", "[transforms]") {
  const auto o = parse_rand_augment("rand-m9-mstd0.5-inc1");
  CHECK(o.magnitude() == 9);
  CHECK(o.magnitude_std() == 0.5);
  CHECK(o.num_layers() == 2);
  CHECK(o.prob() == 0.5);
  CHECK(o.increasing());
  REQUIRE(o.ops().size() == 15);
  CHECK(o.ops()[4] == AugmentOpKind::kPosterizeIncreasing);
  const auto o2 = parse_rand_augment("rand-n3-m7-p0.8-mmax12-mstd101");
  CHECK(o2.num_layers() == 3);
  CHECK(o2.magnitude() == 7);
  CHECK(o2.prob() == 0.8);
  CHECK(o2.magnitude_max().value() == 12);
  CHECK(std::isinf(o2.magnitude_std()));
  CHECK(o2.ops()[4] == AugmentOpKind::kPosterize);
  CHECK_THROWS_AS(parse_rand_augment("auto-m9"), std::invalid_argument);
  CHECK_THROWS_AS(parse_rand_augment("rand-q3"), std::invalid_argument);

  // Level 9 of the increasing ops (timm's *_level_to_arg formulas).
  AugmentHparams hp;
  Rng rng(1);
  auto arg = [&](AugmentOpKind k) { return resolve_augment_op(k, 9.0, hp, rng).arg; };
  CHECK(arg(AugmentOpKind::kPosterizeIncreasing) == 4 - 3);
  CHECK(arg(AugmentOpKind::kSolarizeIncreasing) == 256 - 230);
  CHECK(arg(AugmentOpKind::kSolarizeAdd) == 99);
  CHECK(std::abs(arg(AugmentOpKind::kRotate)) == Approx(27.0));
  CHECK(std::abs(arg(AugmentOpKind::kShearX)) == Approx(0.27));
  CHECK(std::abs(arg(AugmentOpKind::kTranslateXRel)) == Approx(0.405));
  CHECK(std::abs(arg(AugmentOpKind::kColorIncreasing) - 1.0) == Approx(0.81));
  CHECK(arg(AugmentOpKind::kContrast) == Approx(0.9 * 1.8 + 0.1));
  // Both signs occur.
  int negative = 0;
  for (int i = 0; i < 200; ++i) negative += arg(AugmentOpKind::kShearY) < 0;
  CHECK(negative > 60);
  CHECK(negative < 140);
  // Magnitude noise: values are clipped to [0, 10] and centred on m.
  const RandAugment ra(parse_rand_augment("rand-m9-mstd0.5-inc1-p1.0-n1"), hp);
  double sum = 0;
  int count = 0;
  for (int i = 0; i < 400; ++i) {
    for (const auto& op : ra.sample(rng)) {
      if (op.kind == AugmentOpKind::kShearX || op.kind == AugmentOpKind::kShearY) {
        const double m = std::abs(op.arg) / 0.03;
        CHECK(m <= 10.0 + 1e-9);
        sum += m;
        ++count;
      }
    }
  }
  REQUIRE(count > 20);
  CHECK(sum / count == Approx(9.0).margin(0.35));
}

TEST_CASE("RandAugment operations and ColorJitter match timm / torchvision on Pillow",
          "[python][transforms]") {
  const auto files = test::bench_jpegs(600);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const auto py = test::python_interpreter();
  if (!py) FOCAL_SKIP_MISSING("no Python interpreter for the reference");
  // A 200x150 crop of a photograph, handed to both sides as raw pixels.
  const Image photo = test::load_image(files[123]);
  const Image input = Image::from_view(photo.view(Rect{40, 30, 200, 150}));
  const fs::path dir = test::temp_dir("ra_ref");
  test::write_bytes(dir / "input.raw",
                    std::string(reinterpret_cast<const char*>(input.data()), input.num_bytes()));

  struct Case {
    std::string python;
    std::function<void(Image&)> ours;
  };
  const std::vector<uint8_t> fill{124, 116, 104};
  const AugmentHparams hp;
  auto op = [&](AugmentOpKind k, double a, Interpolation interp = Interpolation::kBicubic) {
    return [=](Image& img) { apply_augment_op(img, AugmentOp{k, a, interp}, hp); };
  };
  const std::string kw = "fillcolor=(124, 116, 104), resample=Image.BICUBIC";
  const std::string kw_bl = "fillcolor=(124, 116, 104), resample=Image.BILINEAR";
  const std::vector<Case> cases = {
      {"aa.auto_contrast(im)", op(AugmentOpKind::kAutoContrast, 0)},
      {"aa.equalize(im)", op(AugmentOpKind::kEqualize, 0)},
      {"aa.invert(im)", op(AugmentOpKind::kInvert, 0)},
      {"aa.posterize(im, 2)", op(AugmentOpKind::kPosterizeIncreasing, 2)},
      {"aa.solarize(im, 100)", op(AugmentOpKind::kSolarize, 100)},
      {"aa.solarize_add(im, 60)", op(AugmentOpKind::kSolarizeAdd, 60)},
      {"aa.color(im, 1.6)", op(AugmentOpKind::kColor, 1.6)},
      {"aa.color(im, 0.3)", op(AugmentOpKind::kColorIncreasing, 0.3)},
      {"aa.contrast(im, 1.4)", op(AugmentOpKind::kContrast, 1.4)},
      {"aa.contrast(im, 0.5)", op(AugmentOpKind::kContrastIncreasing, 0.5)},
      {"aa.brightness(im, 1.3)", op(AugmentOpKind::kBrightness, 1.3)},
      {"aa.brightness(im, 0.6)", op(AugmentOpKind::kBrightnessIncreasing, 0.6)},
      {"aa.sharpness(im, 1.7)", op(AugmentOpKind::kSharpness, 1.7)},
      {"aa.sharpness(im, 0.4)", op(AugmentOpKind::kSharpnessIncreasing, 0.4)},
      {"aa.rotate(im, 17.5, " + kw + ")", op(AugmentOpKind::kRotate, 17.5)},
      {"aa.rotate(im, -23.0, " + kw_bl + ")", op(AugmentOpKind::kRotate, -23.0, Interpolation::kBilinear)},
      {"aa.shear_x(im, 0.21, " + kw + ")", op(AugmentOpKind::kShearX, 0.21)},
      {"aa.shear_y(im, -0.15, " + kw_bl + ")", op(AugmentOpKind::kShearY, -0.15, Interpolation::kBilinear)},
      {"aa.translate_x_rel(im, 0.3, " + kw + ")", op(AugmentOpKind::kTranslateXRel, 0.3)},
      {"aa.translate_y_rel(im, -0.27, " + kw + ")", op(AugmentOpKind::kTranslateYRel, -0.27)},
      {"F.adjust_brightness(im, 1.23)", [](Image& img) { adjust_brightness(img, 1.23); }},
      {"F.adjust_contrast(im, 0.71)", [](Image& img) { adjust_contrast(img, 0.71); }},
      {"F.adjust_saturation(im, 1.37)", [](Image& img) { adjust_color(img, 1.37); }},
      {"F.adjust_saturation(F.adjust_brightness(F.adjust_contrast(im, 1.2), 0.8), 0.65)",
       [](Image& img) {
         ColorJitterParams p;
         p.order = {1, 0, 2};
         p.factor = {0.8, 1.2, 0.65};
         apply_color_jitter(img, p);
       }},
  };
  std::ostringstream script;
  script << "import numpy as np\nfrom PIL import Image\nimport timm.data.auto_augment as aa\n"
         << "import torchvision.transforms.functional as F\n"
         << "src = Image.frombytes('RGB', (200, 150), open(r'" << (dir / "input.raw").string()
         << "', 'rb').read())\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    script << "im = src.copy()\nnp.asarray(" << cases[i].python << ").tofile(r'"
           << (dir / ("op_" + std::to_string(i) + ".raw")).string() << "')\n";
  }
  if (!test::run_python(*py, dir, "timm, torchvision, PIL, numpy", script.str()))
    FOCAL_SKIP_MISSING("Python with timm, torchvision and Pillow not found");
  for (size_t i = 0; i < cases.size(); ++i) {
    Image img = input.clone();
    cases[i].ours(img);
    const auto ref = test::read_bytes(dir / ("op_" + std::to_string(i) + ".raw"));
    REQUIRE(ref.size() == static_cast<size_t>(img.num_bytes()));
    int max_diff = 0;
    int64_t differing = 0;
    for (size_t k = 0; k < ref.size(); ++k) {
      const int d = std::abs(int(ref[k]) - int(img.data()[k]));
      max_diff = std::max(max_diff, d);
      differing += d != 0;
    }
    INFO(cases[i].python << ": max diff " << max_diff << ", " << differing << " values differ");
    CHECK(max_diff == 0);
  }
}
