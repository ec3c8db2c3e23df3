#pragma once
// timm's RandAugment (timm/data/auto_augment.py: rand_augment_transform) on 8-bit images: the operation
// list (with the "inc" increasing-severity variants), the magnitude-to-argument mapping, magnitude noise,
// per-operation probability, and the Pillow operations behind each op.
#include "data/decode/image.h"
#include "data/loading/rng.h"
#include "data/transforms/resample.h"

#include <torch/arg.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace focal::data {

enum class AugmentOpKind {
  kAutoContrast,
  kEqualize,
  kInvert,
  kRotate,
  kPosterize,            // bits = int(level * 4)
  kPosterizeIncreasing,  // bits = 4 - int(level * 4)
  kSolarize,             // threshold = int(level * 256)
  kSolarizeIncreasing,   // threshold = 256 - int(level * 256)
  kSolarizeAdd,          // add = int(level * 110)
  kColor,
  kColorIncreasing,
  kContrast,
  kContrastIncreasing,
  kBrightness,
  kBrightnessIncreasing,
  kSharpness,
  kSharpnessIncreasing,
  kShearX,
  kShearY,
  kTranslateXRel,
  kTranslateYRel,
};

std::string to_string(AugmentOpKind kind);
AugmentOpKind augment_op_from_string(const std::string& name);  // timm's names, e.g. "ShearX"

// One operation with its argument resolved (angle, factor, bits, threshold, shear or translate fraction)
// and the resampling filter of the geometric ones.
struct AugmentOp {
  AugmentOpKind kind = AugmentOpKind::kInvert;
  double arg = 0.0;
  Interpolation interpolation = Interpolation::kBicubic;
};

// Parameters timm's create_transform passes as hparams.
struct AugmentHparams {
  // Fill colour of geometric ops: round(255 * mean) per channel.
  TORCH_ARG(std::vector<uint8_t>, fill) = std::vector<uint8_t>{124, 116, 104};
  // Resampling of rotate/shear/translate; timm draws bilinear or bicubic when unset (interpolation "random").
  TORCH_ARG(std::optional<Interpolation>, interpolation) = Interpolation::kBicubic;
  TORCH_ARG(double, translate_pct) = 0.45;
};

// Parsed "rand-m9-mstd0.5-inc1" spec (sections m, n, p, mstd, mmax, inc; mstd > 100 = uniform).
struct RandAugmentOptions {
  TORCH_ARG(double, magnitude) = 10.0;
  TORCH_ARG(int64_t, num_layers) = 2;
  TORCH_ARG(double, prob) = 0.5;
  TORCH_ARG(double, magnitude_std) = 0.0;
  TORCH_ARG(std::optional<double>, magnitude_max) = std::nullopt;
  TORCH_ARG(bool, increasing) = false;
  TORCH_ARG(std::vector<AugmentOpKind>, ops);
};

// Throws std::invalid_argument naming the offending section.
RandAugmentOptions parse_rand_augment(const std::string& spec);

// timm's level_to_arg for `kind` at `magnitude` (0..10 scale): random sign flips (and the random filter
// when hparams.interpolation is unset) come from rng.
AugmentOp resolve_augment_op(AugmentOpKind kind, double magnitude, const AugmentHparams& hparams, Rng& rng);

// Applies one resolved op (Pillow semantics) in place.
void apply_augment_op(Image& img, const AugmentOp& op, const AugmentHparams& hparams);

class RandAugment {
 public:
  RandAugment(RandAugmentOptions options, AugmentHparams hparams);
  // Draws num_layers ops (with replacement), each applied with probability prob at a noisy magnitude.
  void operator()(Image& img, Rng& rng) const;
  // The ops one call would apply, with their arguments (for tests and logging).
  std::vector<AugmentOp> sample(Rng& rng) const;
  const RandAugmentOptions& options() const { return options_; }

 private:
  RandAugmentOptions options_;
  AugmentHparams hparams_;
};

}  // namespace focal::data
