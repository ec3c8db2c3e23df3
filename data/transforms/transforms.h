#pragma once
// The per-sample pipelines: the training transform of timm's create_transform(is_training=True) and the
// evaluation transform of the original Focal/Swin build_transform (torchvision on PIL). Each turns a
// RawSample into normalised (C, H, W) floats written straight into the batch.
#include "data/datasets/sample.h"
#include "data/decode/image_decoder.h"
#include "data/loading/rng.h"
#include "data/transforms/color_jitter.h"
#include "data/transforms/normalize.h"
#include "data/transforms/rand_augment.h"
#include "data/transforms/random_erasing.h"
#include "data/transforms/random_resized_crop.h"
#include "data/transforms/resample.h"

#include <torch/arg.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace focal::data {

class SampleTransform {
 public:
  virtual ~SampleTransform() = default;
  // (C, H, W) of every output.
  virtual std::array<int64_t, 3> output_shape() const = 0;
  // Writes C * H * W floats to `out`. Throws DecodeError for an undecodable sample. `decoder` belongs
  // to the calling thread; `rng` is the sample's own generator.
  virtual void operator()(const RawSample& sample, Rng& rng, ImageDecoder& decoder, float* out) const = 0;
};

// Decoded pixels of a sample with `channels` channels (1 or 3), converting as Pillow's convert() would.
Image decode_sample(const RawSample& sample, ImageDecoder& decoder, int64_t channels);

struct TrainTransformOptions {
  TORCH_ARG(int64_t, img_size) = 224;
  TORCH_ARG(int64_t, channels) = 3;
  // "bicubic", "bilinear", ... or "random" (bilinear or bicubic per sample, as timm).
  TORCH_ARG(std::string, interpolation) = "bicubic";
  TORCH_ARG(RandomResizedCropOptions, crop) = {};
  TORCH_ARG(double, hflip) = 0.5;
  // ColorJitter strength, used only when auto_augment is off (timm disables it with RandAugment).
  TORCH_ARG(double, color_jitter) = 0.4;
  // RandAugment spec such as "rand-m9-mstd0.5-inc1"; "" or "none" disables it.
  TORCH_ARG(std::string, auto_augment) = "rand-m9-mstd0.5-inc1";
  TORCH_ARG(std::vector<double>, mean) = std::vector<double>{0.485, 0.456, 0.406};
  TORCH_ARG(std::vector<double>, std) = std::vector<double>{0.229, 0.224, 0.225};
  TORCH_ARG(double, reprob) = 0.25;
  TORCH_ARG(std::string, remode) = "pixel";
  TORCH_ARG(int64_t, recount) = 1;
  // Decode JPEGs at 1/2, 1/4 or 1/8 scale when the crop still has at least img_size pixels per side.
  TORCH_ARG(bool, dct_scaling) = true;
};

// RandomResizedCrop -> horizontal flip -> RandAugment | ColorJitter -> ToTensor + Normalize ->
// RandomErasing.
class TrainTransform : public SampleTransform {
 public:
  explicit TrainTransform(TrainTransformOptions options);
  std::array<int64_t, 3> output_shape() const override;
  void operator()(const RawSample& sample, Rng& rng, ImageDecoder& decoder, float* out) const override;
  // The cropped and resized (img_size x img_size) uint8 image before flip and colour augmentation.
  Image random_resized_crop(const RawSample& sample, Rng& rng, ImageDecoder& decoder) const;
  const TrainTransformOptions& options() const { return options_; }

 private:
  TrainTransformOptions options_;
  std::optional<Interpolation> interpolation_;  // unset: random bilinear/bicubic
  std::optional<RandAugment> rand_augment_;
  Normalizer normalize_;
  RandomErasingOptions erasing_;
};

struct EvalTransformOptions {
  TORCH_ARG(int64_t, img_size) = 224;
  TORCH_ARG(int64_t, channels) = 3;
  TORCH_ARG(std::string, interpolation) = "bicubic";
  // Resize the shorter side to floor(img_size / crop_pct), then centre-crop img_size.
  TORCH_ARG(double, crop_pct) = 0.875;
  // false: resize straight to img_size x img_size (the original TEST.CROP = False).
  TORCH_ARG(bool, center_crop) = true;
  TORCH_ARG(std::vector<double>, mean) = std::vector<double>{0.485, 0.456, 0.406};
  TORCH_ARG(std::vector<double>, std) = std::vector<double>{0.229, 0.224, 0.225};
};

// Resize(floor(size / crop_pct), interpolation) -> CenterCrop(size) -> ToTensor -> Normalize.
class EvalTransform : public SampleTransform {
 public:
  explicit EvalTransform(EvalTransformOptions options);
  std::array<int64_t, 3> output_shape() const override;
  void operator()(const RawSample& sample, Rng& rng, ImageDecoder& decoder, float* out) const override;
  // The resized and cropped uint8 image.
  Image resize_crop(const Image& img) const;
  const EvalTransformOptions& options() const { return options_; }

 private:
  EvalTransformOptions options_;
  Interpolation interpolation_;
  Normalizer normalize_;
};

// torchvision's Resize(int) output size: the shorter side becomes `size`, the longer int(size * long /
// short).
std::array<int64_t, 2> resize_shorter_side(int64_t height, int64_t width, int64_t size);
// torchvision's CenterCrop offsets: int(round((dim - crop) / 2)) with Python's half-to-even rounding.
Rect center_crop_rect(int64_t height, int64_t width, int64_t crop_height, int64_t crop_width);

}  // namespace focal::data
