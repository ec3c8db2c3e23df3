#include "data/transforms/rand_augment.h"

#include "data/transforms/affine.h"
#include "data/transforms/image_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace focal::data {
namespace {

constexpr double kLevelDenominator = 10.0;  // timm's _LEVEL_DENOM

struct OpName {
  AugmentOpKind kind;
  const char* name;
};

constexpr OpName kOpNames[] = {
    {AugmentOpKind::kAutoContrast, "AutoContrast"},
    {AugmentOpKind::kEqualize, "Equalize"},
    {AugmentOpKind::kInvert, "Invert"},
    {AugmentOpKind::kRotate, "Rotate"},
    {AugmentOpKind::kPosterize, "Posterize"},
    {AugmentOpKind::kPosterizeIncreasing, "PosterizeIncreasing"},
    {AugmentOpKind::kSolarize, "Solarize"},
    {AugmentOpKind::kSolarizeIncreasing, "SolarizeIncreasing"},
    {AugmentOpKind::kSolarizeAdd, "SolarizeAdd"},
    {AugmentOpKind::kColor, "Color"},
    {AugmentOpKind::kColorIncreasing, "ColorIncreasing"},
    {AugmentOpKind::kContrast, "Contrast"},
    {AugmentOpKind::kContrastIncreasing, "ContrastIncreasing"},
    {AugmentOpKind::kBrightness, "Brightness"},
    {AugmentOpKind::kBrightnessIncreasing, "BrightnessIncreasing"},
    {AugmentOpKind::kSharpness, "Sharpness"},
    {AugmentOpKind::kSharpnessIncreasing, "SharpnessIncreasing"},
    {AugmentOpKind::kShearX, "ShearX"},
    {AugmentOpKind::kShearY, "ShearY"},
    {AugmentOpKind::kTranslateXRel, "TranslateXRel"},
    {AugmentOpKind::kTranslateYRel, "TranslateYRel"},
};

// timm's _RAND_TRANSFORMS and _RAND_INCREASING_TRANSFORMS, in timm's order.
std::vector<AugmentOpKind> rand_transforms(bool increasing) {
  using K = AugmentOpKind;
  if (increasing) {
    return {K::kAutoContrast,
            K::kEqualize,
            K::kInvert,
            K::kRotate,
            K::kPosterizeIncreasing,
            K::kSolarizeIncreasing,
            K::kSolarizeAdd,
            K::kColorIncreasing,
            K::kContrastIncreasing,
            K::kBrightnessIncreasing,
            K::kSharpnessIncreasing,
            K::kShearX,
            K::kShearY,
            K::kTranslateXRel,
            K::kTranslateYRel};
  }
  return {K::kAutoContrast, K::kEqualize,    K::kInvert, K::kRotate,        K::kPosterize,
          K::kSolarize,     K::kSolarizeAdd, K::kColor,  K::kContrast,      K::kBrightness,
          K::kSharpness,    K::kShearX,      K::kShearY, K::kTranslateXRel, K::kTranslateYRel};
}

double negate_half(double v, Rng& rng) { return rng.uniform() > 0.5 ? -v : v; }

}  // namespace

std::string to_string(AugmentOpKind kind) {
  for (const auto& op : kOpNames) {
    if (op.kind == kind) return op.name;
  }
  return "?";
}

AugmentOpKind augment_op_from_string(const std::string& name) {
  for (const auto& op : kOpNames) {
    if (name == op.name) return op.kind;
  }
  throw std::invalid_argument("unknown RandAugment operation '" + name + "'");
}

RandAugmentOptions parse_rand_augment(const std::string& spec) {
  std::vector<std::string> sections;
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t dash = spec.find('-', start);
    sections.push_back(spec.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  if (sections.empty() || sections[0] != "rand") {
    throw std::invalid_argument("RandAugment spec '" + spec + "' must start with 'rand'");
  }
  RandAugmentOptions o;
  for (size_t i = 1; i < sections.size(); ++i) {
    const std::string& c = sections[i];
    if (!c.empty() && c[0] == 't') {
      throw std::invalid_argument("RandAugment spec '" + spec + "': transform set section '" + c +
                                  "' is not supported (only the default 'rand' op lists)");
    }
    const size_t digit = c.find_first_of("0123456789");
    if (digit == std::string::npos) continue;  // timm ignores sections without a number
    const std::string key = c.substr(0, digit);
    const std::string value = c.substr(digit);
    try {
      if (key == "mstd") {
        const double mstd = std::stod(value);
        o.magnitude_std(mstd > 100 ? std::numeric_limits<double>::infinity() : mstd);
      } else if (key == "mmax") {
        o.magnitude_max(static_cast<double>(std::stoi(value)));
      } else if (key == "inc") {
        o.increasing(std::stoi(value) != 0);
      } else if (key == "m") {
        o.magnitude(std::stod(value));
      } else if (key == "n") {
        o.num_layers(std::stoi(value));
      } else if (key == "p") {
        o.prob(std::stod(value));
      } else {
        throw std::invalid_argument("unknown section");
      }
    } catch (const std::exception&) {
      throw std::invalid_argument("RandAugment spec '" + spec + "': bad section '" + c + "'");
    }
  }
  o.ops(rand_transforms(o.increasing()));
  return o;
}

AugmentOp resolve_augment_op(AugmentOpKind kind, double magnitude, const AugmentHparams& hparams, Rng& rng) {
  using K = AugmentOpKind;
  const double level = magnitude / kLevelDenominator;
  AugmentOp op;
  op.kind = kind;
  switch (kind) {
    case K::kAutoContrast:
    case K::kEqualize:
    case K::kInvert:
      break;
    case K::kRotate:
      op.arg = negate_half(level * 30.0, rng);
      break;
    case K::kPosterize:
      op.arg = static_cast<int>(level * 4);
      break;
    case K::kPosterizeIncreasing:
      op.arg = 4 - static_cast<int>(level * 4);
      break;
    case K::kSolarize:
      op.arg = std::min(256, static_cast<int>(level * 256));
      break;
    case K::kSolarizeIncreasing:
      op.arg = 256 - std::min(256, static_cast<int>(level * 256));
      break;
    case K::kSolarizeAdd:
      op.arg = std::min(128, static_cast<int>(level * 110));
      break;
    case K::kColor:
    case K::kContrast:
    case K::kBrightness:
    case K::kSharpness:
      op.arg = level * 1.8 + 0.1;
      break;
    case K::kColorIncreasing:
    case K::kContrastIncreasing:
    case K::kBrightnessIncreasing:
    case K::kSharpnessIncreasing:
      op.arg = std::max(0.1, 1.0 + negate_half(level * 0.9, rng));
      break;
    case K::kShearX:
    case K::kShearY:
      op.arg = negate_half(level * 0.3, rng);
      break;
    case K::kTranslateXRel:
    case K::kTranslateYRel:
      op.arg = negate_half(level * hparams.translate_pct(), rng);
      break;
  }
  const bool geometric = kind == K::kRotate || kind == K::kShearX || kind == K::kShearY ||
                         kind == K::kTranslateXRel || kind == K::kTranslateYRel;
  if (geometric) {
    op.interpolation = hparams.interpolation().has_value()
                           ? *hparams.interpolation()
                           : (rng.uniform() < 0.5 ? Interpolation::kBilinear : Interpolation::kBicubic);
  }
  return op;
}

void apply_augment_op(Image& img, const AugmentOp& op, const AugmentHparams& hparams) {
  using K = AugmentOpKind;
  const auto& fill = hparams.fill();
  const double w = static_cast<double>(img.width()), h = static_cast<double>(img.height());
  switch (op.kind) {
    case K::kAutoContrast:
      auto_contrast(img);
      break;
    case K::kEqualize:
      equalize(img);
      break;
    case K::kInvert:
      invert(img);
      break;
    case K::kRotate:
      img = rotate(img, op.arg, op.interpolation, fill);
      break;
    case K::kPosterize:
    case K::kPosterizeIncreasing:
      posterize(img, static_cast<int>(op.arg));
      break;
    case K::kSolarize:
    case K::kSolarizeIncreasing:
      solarize(img, static_cast<int>(op.arg));
      break;
    case K::kSolarizeAdd:
      solarize_add(img, static_cast<int>(op.arg), 128);
      break;
    case K::kColor:
    case K::kColorIncreasing:
      adjust_color(img, op.arg);
      break;
    case K::kContrast:
    case K::kContrastIncreasing:
      adjust_contrast(img, op.arg);
      break;
    case K::kBrightness:
    case K::kBrightnessIncreasing:
      adjust_brightness(img, op.arg);
      break;
    case K::kSharpness:
    case K::kSharpnessIncreasing:
      adjust_sharpness(img, op.arg);
      break;
    case K::kShearX:
      img = affine_transform(img, {1, op.arg, 0, 0, 1, 0}, op.interpolation, fill);
      break;
    case K::kShearY:
      img = affine_transform(img, {1, 0, 0, op.arg, 1, 0}, op.interpolation, fill);
      break;
    case K::kTranslateXRel:
      img = affine_transform(img, {1, 0, op.arg * w, 0, 1, 0}, op.interpolation, fill);
      break;
    case K::kTranslateYRel:
      img = affine_transform(img, {1, 0, 0, 0, 1, op.arg * h}, op.interpolation, fill);
      break;
  }
}

RandAugment::RandAugment(RandAugmentOptions options, AugmentHparams hparams)
    : options_(std::move(options)), hparams_(std::move(hparams)) {
  if (options_.ops().empty()) options_.ops(rand_transforms(options_.increasing()));
}

std::vector<AugmentOp> RandAugment::sample(Rng& rng) const {
  const auto& ops = options_.ops();
  std::vector<AugmentOpKind> chosen;
  for (int64_t i = 0; i < options_.num_layers(); ++i) {
    chosen.push_back(ops[static_cast<size_t>(rng.randint(0, static_cast<int64_t>(ops.size()) - 1))]);
  }
  std::vector<AugmentOp> result;
  for (AugmentOpKind kind : chosen) {
    if (options_.prob() < 1.0 && rng.uniform() > options_.prob()) continue;
    double magnitude = options_.magnitude();
    if (std::isinf(options_.magnitude_std())) {
      magnitude = rng.uniform(0.0, magnitude);
    } else if (options_.magnitude_std() > 0) {
      magnitude = rng.normal(magnitude, options_.magnitude_std());
    }
    const double upper = options_.magnitude_max().value_or(kLevelDenominator);
    magnitude = std::max(0.0, std::min(magnitude, upper));
    result.push_back(resolve_augment_op(kind, magnitude, hparams_, rng));
  }
  return result;
}

void RandAugment::operator()(Image& img, Rng& rng) const {
  for (const AugmentOp& op : sample(rng)) apply_augment_op(img, op, hparams_);
}

}  // namespace focal::data
