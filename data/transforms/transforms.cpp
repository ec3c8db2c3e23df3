#include "data/transforms/transforms.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace focal::data {
namespace {

bool auto_augment_enabled(const std::string& spec) { return !spec.empty() && spec != "none"; }

void check_channels(int64_t channels) {
  if (channels != 1 && channels != 3) {
    throw std::invalid_argument("transform: channels must be 1 or 3, got " + std::to_string(channels));
  }
}

}  // namespace

Image decode_sample(const RawSample& sample, ImageDecoder& decoder, int64_t channels) {
  if (sample.image.has_value()) {
    const Image& img = *sample.image;
    if (img.channels() == channels) return img.clone();
    if (img.channels() == 1 && channels == 3) return gray_to_rgb(img);
    if (img.channels() == 3 && channels == 1) return rgb_to_gray(img);
    throw DecodeError("sample has " + std::to_string(img.channels()) + " channels");
  }
  const auto* data = reinterpret_cast<const uint8_t*>(sample.bytes.data());
  return decoder.decode(data, sample.bytes.size(), channels);
}

std::array<int64_t, 2> resize_shorter_side(int64_t height, int64_t width, int64_t size) {
  const int64_t short_side = std::min(height, width), long_side = std::max(height, width);
  const auto new_long =
      static_cast<int64_t>(static_cast<double>(size * long_side) / static_cast<double>(short_side));
  return width <= height ? std::array<int64_t, 2>{new_long, size} : std::array<int64_t, 2>{size, new_long};
}

Rect center_crop_rect(int64_t height, int64_t width, int64_t crop_height, int64_t crop_width) {
  const auto top = static_cast<int64_t>(std::nearbyint(static_cast<double>(height - crop_height) / 2.0));
  const auto left = static_cast<int64_t>(std::nearbyint(static_cast<double>(width - crop_width) / 2.0));
  return Rect{left, top, crop_width, crop_height};
}

TrainTransform::TrainTransform(TrainTransformOptions options)
    : options_(std::move(options)), normalize_(options_.mean(), options_.std()) {
  check_channels(options_.channels());
  if (options_.img_size() <= 0) throw std::invalid_argument("TrainTransform: img_size must be positive");
  if (options_.interpolation() != "random")
    interpolation_ = interpolation_from_string(options_.interpolation());
  if (auto_augment_enabled(options_.auto_augment())) {
    AugmentHparams hp;
    std::vector<uint8_t> fill;
    for (double m : options_.mean())
      fill.push_back(static_cast<uint8_t>(std::min(255.0, std::nearbyint(255.0 * m))));
    hp.fill(fill);
    hp.interpolation(interpolation_);
    rand_augment_.emplace(parse_rand_augment(options_.auto_augment()), hp);
  }
  erasing_.probability(options_.reprob())
      .mode(options_.remode())
      .max_count(std::max<int64_t>(1, options_.recount()));
}

std::array<int64_t, 3> TrainTransform::output_shape() const {
  return {options_.channels(), options_.img_size(), options_.img_size()};
}

Image TrainTransform::random_resized_crop(const RawSample& sample, Rng& rng, ImageDecoder& decoder) const {
  const int64_t size = options_.img_size();
  const int64_t channels = options_.channels();
  // The crop only needs the image size, so JPEG and PNG crops are drawn before decoding; that lets the
  // JPEG decoder skip resolution the crop does not need.
  ImageInfo info;
  if (!sample.image.has_value()) {
    info = decoder.probe(reinterpret_cast<const uint8_t*>(sample.bytes.data()), sample.bytes.size());
  }
  Image decoded;
  if (sample.image.has_value() || info.width == 0) {
    decoded = decode_sample(sample, decoder, channels);
    info.width = decoded.width();
    info.height = decoded.height();
  }
  const Rect crop = sample_random_resized_crop(rng, info.width, info.height, options_.crop());
  const Interpolation interp =
      interpolation_.has_value() ? *interpolation_
                                 : (rng.uniform() < 0.5 ? Interpolation::kBilinear : Interpolation::kBicubic);
  if (!decoded.empty()) return resize(decoded.view(crop), size, size, interp);
  const int64_t denom =
      options_.dct_scaling() && info.format == ImageFormat::kJpeg ? dct_scale_for_crop(crop, size, size) : 1;
  const auto* bytes = reinterpret_cast<const uint8_t*>(sample.bytes.data());
  if (denom == 1) {
    const DecodedWindow w = decoder.decode_window(bytes, sample.bytes.size(), channels, 1, crop);
    return resize(w.image.view(Rect{crop.x - w.x, crop.y - w.y, crop.width, crop.height}), size, size,
                  interp);
  }
  // At 1/denom the crop box becomes fractional; decode the pixels around it (a couple of rows of margin for
  // the filter) and resize with Pillow's box semantics.
  const auto scaled = [denom](int64_t v) { return (v + denom - 1) / denom; };
  const int64_t sw = scaled(info.width), sh = scaled(info.height);
  Rect region;
  region.x = crop.x / denom;
  region.y = std::max<int64_t>(0, crop.y / denom - 2);
  region.width = std::min(sw, scaled(crop.x + crop.width)) - region.x;
  region.height = std::min(sh, scaled(crop.y + crop.height) + 2) - region.y;
  const DecodedWindow w = decoder.decode_window(bytes, sample.bytes.size(), channels, denom, region);
  const auto d = static_cast<float>(denom);
  ResampleBox box{static_cast<float>(crop.x) / d - static_cast<float>(w.x),
                  static_cast<float>(crop.y) / d - static_cast<float>(w.y),
                  static_cast<float>(crop.x + crop.width) / d - static_cast<float>(w.x),
                  static_cast<float>(crop.y + crop.height) / d - static_cast<float>(w.y)};
  box.x0 = std::max(box.x0, 0.f);
  box.y0 = std::max(box.y0, 0.f);
  box.x1 = std::min(box.x1, static_cast<float>(w.image.width()));
  box.y1 = std::min(box.y1, static_cast<float>(w.image.height()));
  return resize(w.image.view(), size, size, interp, box);
}

void TrainTransform::operator()(const RawSample& sample, Rng& rng, ImageDecoder& decoder, float* out) const {
  Image img = random_resized_crop(sample, rng, decoder);
  bool flip = options_.hflip() > 0 && rng.bernoulli(options_.hflip());
  if (rand_augment_.has_value() || options_.color_jitter() > 0) {
    // Colour and geometric augmentation see the flipped image, as in the torchvision pipeline.
    if (flip) flip_horizontal(img);
    flip = false;
    if (rand_augment_.has_value()) {
      (*rand_augment_)(img, rng);
    } else {
      const double s = options_.color_jitter();
      apply_color_jitter(
          img, sample_color_jitter(rng, ColorJitterOptions().brightness(s).contrast(s).saturation(s)));
    }
  }
  normalize_(img, flip, out);
  if (options_.reprob() > 0) random_erase(out, img.channels(), img.height(), img.width(), rng, erasing_);
}

EvalTransform::EvalTransform(EvalTransformOptions options)
    : options_(std::move(options)),
      interpolation_(interpolation_from_string(options_.interpolation())),
      normalize_(options_.mean(), options_.std()) {
  check_channels(options_.channels());
  if (options_.img_size() <= 0) throw std::invalid_argument("EvalTransform: img_size must be positive");
  if (options_.crop_pct() <= 0 || options_.crop_pct() > 1) {
    throw std::invalid_argument("EvalTransform: crop_pct must be in (0, 1]");
  }
}

std::array<int64_t, 3> EvalTransform::output_shape() const {
  return {options_.channels(), options_.img_size(), options_.img_size()};
}

Image EvalTransform::resize_crop(const Image& img) const {
  const int64_t size = options_.img_size();
  if (!options_.center_crop()) return resize(img.view(), size, size, interpolation_);
  const auto scale_size = static_cast<int64_t>(std::floor(static_cast<double>(size) / options_.crop_pct()));
  const auto hw = resize_shorter_side(img.height(), img.width(), scale_size);
  if (hw[0] < size || hw[1] < size) {
    throw std::invalid_argument("EvalTransform: resized image smaller than the crop");
  }
  return resize_region(img.view(), hw[1], hw[0], interpolation_, center_crop_rect(hw[0], hw[1], size, size));
}

void EvalTransform::operator()(const RawSample& sample, Rng&, ImageDecoder& decoder, float* out) const {
  const Image img = decode_sample(sample, decoder, options_.channels());
  normalize_(resize_crop(img), false, out);
}

}  // namespace focal::data
