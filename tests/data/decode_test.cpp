// Decoding against Pillow's Image.open(...).convert("RGB"): JPEG (colour, grayscale, CMYK), PNG variants,
// BMP, PPM/PGM, TIFF and lossless WebP, and the errors for corrupt or truncated files.
#include "data/datasets/file_io.h"
#include "data/decode/image_decoder.h"
#include "data/loading/rng.h"
#include "tests/data/data_test_util.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace focal;
using namespace focal::data;
namespace fs = std::filesystem;

namespace {

int max_abs_diff(const Image& img, const std::vector<uint8_t>& ref) {
  REQUIRE(ref.size() == static_cast<size_t>(img.num_bytes()));
  int d = 0;
  for (size_t k = 0; k < ref.size(); ++k) d = std::max(d, std::abs(int(ref[k]) - int(img.data()[k])));
  return d;
}

Image decode_file(const fs::path& p, int64_t channels) {
  const std::string bytes = read_file(p);
  ImageDecoder decoder;
  return decoder.decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), channels);
}

}  // namespace

TEST_CASE("decoding matches Pillow for JPEG, grayscale, CMYK, PNG, BMP, PNM, TIFF and WebP variants",
          "[python][decode]") {
  const auto files = test::bench_jpegs(600);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const auto py = test::python_interpreter();
  if (!py) FOCAL_SKIP_MISSING("no Python interpreter for the reference");
  const fs::path dir = test::temp_dir("decode_ref");
  // Variants are made from a real photograph by Pillow; each reference is Pillow's convert("RGB") / ("L").
  if (!test::run_python(*py, dir, "PIL, numpy", R"(
import numpy as np
from PIL import Image
d = r')" + dir.string() + R"('
src = Image.open(r')" + files[250].string() + R"(').convert('RGB').crop((10, 20, 301, 250))
src.save(d + '/rgb.jpg', quality=90)
src.save(d + '/rgb444.jpg', quality=95, subsampling=0)
src.convert('L').save(d + '/gray.jpg', quality=90)
src.convert('CMYK').save(d + '/cmyk.jpg', quality=92)
src.save(d + '/rgb.png')
rgba = src.copy(); rgba.putalpha(Image.linear_gradient('L').resize(src.size)); rgba.save(d + '/rgba.png')
src.convert('L').save(d + '/gray.png')
src.quantize(64).save(d + '/palette.png')
src.convert('LA').save(d + '/la.png')
src.save(d + '/rgb.bmp')
src.save(d + '/rgb.ppm')
src.convert('L').save(d + '/gray.pgm')
src.save(d + '/rgb.tif')
src.save(d + '/rgb_lzw.tif', compression='tiff_lzw')
src.convert('L').save(d + '/gray.tif')
src.save(d + '/rgb.webp', lossless=True)
rgba.save(d + '/rgba.webp', lossless=True, exact=True)
names = ['rgb.jpg', 'rgb444.jpg', 'gray.jpg', 'cmyk.jpg', 'rgb.png', 'rgba.png', 'gray.png', 'palette.png', 'la.png',
         'rgb.bmp', 'rgb.ppm', 'gray.pgm', 'rgb.tif', 'rgb_lzw.tif', 'gray.tif', 'rgb.webp', 'rgba.webp']
for name in names:
    im = Image.open(d + '/' + name)
    np.asarray(im.convert('RGB')).tofile(d + '/' + name + '.rgb')
    np.asarray(im.convert('RGB').convert('L')).tofile(d + '/' + name + '.l')
)"))
    FOCAL_SKIP_MISSING("Python with Pillow not found");
  // BMP, PPM/PGM, TIFF and WebP pass the header check (image_header.h) and reach OpenCV.
  for (const std::string name : {"rgb.jpg", "rgb444.jpg", "gray.jpg", "cmyk.jpg", "rgb.png", "rgba.png",
                                 "gray.png", "palette.png", "la.png", "rgb.bmp", "rgb.ppm", "gray.pgm",
                                 "rgb.tif", "rgb_lzw.tif", "gray.tif", "rgb.webp", "rgba.webp"}) {
    INFO(name);
    const Image rgb = decode_file(dir / name, 3);
    CHECK(rgb.width() == 291);
    CHECK(rgb.height() == 230);
    CHECK(max_abs_diff(rgb, test::read_bytes(dir / (name + ".rgb"))) == 0);
    const Image gray = decode_file(dir / name, 1);
    CHECK(gray.channels() == 1);
    CHECK(max_abs_diff(gray, test::read_bytes(dir / (name + ".l"))) == 0);
  }
  // Partial decoding returns exactly the pixels of the full decode, at every scale, for every sampling.
  ImageDecoder decoder;
  focal::data::Rng rng(17);
  for (const std::string name : {"rgb.jpg", "rgb444.jpg", "gray.jpg", "cmyk.jpg"}) {
    const std::string bytes = read_file(dir / name);
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    for (int64_t denom : {1, 2, 4}) {
      for (int64_t channels : {3, 1}) {
        const Image full = decoder.decode(p, bytes.size(), channels, denom);
        for (int trial = 0; trial < 8; ++trial) {
          Rect r;
          r.width = rng.randint(1, full.width());
          r.height = rng.randint(1, full.height());
          r.x = rng.randint(0, full.width() - r.width);
          r.y = rng.randint(0, full.height() - r.height);
          const DecodedWindow w = decoder.decode_window(p, bytes.size(), channels, denom, r);
          INFO(name << " 1/" << denom << " " << channels << "ch region " << r.x << "," << r.y << " "
                    << r.width << "x" << r.height);
          REQUIRE(w.x <= r.x);
          REQUIRE(w.y <= r.y);
          REQUIRE(w.x + w.image.width() >= r.x + r.width);
          REQUIRE(w.y + w.image.height() >= r.y + r.height);
          CHECK(w.full_width == full.width());
          bool same = true;
          for (int64_t y = r.y; y < r.y + r.height && same; ++y) {
            same = std::equal(full.row(y) + r.x * channels, full.row(y) + (r.x + r.width) * channels,
                              w.image.row(y - w.y) + (r.x - w.x) * channels);
          }
          CHECK(same);
        }
      }
    }
  }
  // The bench photographs themselves, decoded by both libjpeg-turbo builds.
  std::ostringstream list;
  for (size_t i = 0; i < files.size(); i += 100) list << "r'" << files[i].string() << "',";
  if (!test::run_python(*py, dir, "PIL, numpy",
                        "import numpy as np\nfrom PIL import Image\nfor i, f in enumerate([" + list.str() +
                            "]):\n    np.asarray(Image.open(f).convert('RGB')).tofile(r'" + dir.string() +
                            "/bench_%d.rgb' % i)\n"))
    FAIL("Python with Pillow vanished between two reference scripts");
  for (size_t i = 0, k = 0; i < files.size(); i += 100, ++k) {
    INFO(files[i]);
    CHECK(max_abs_diff(decode_file(files[i], 3),
                       test::read_bytes(dir / ("bench_" + std::to_string(k) + ".rgb"))) == 0);
  }
}

TEST_CASE("header probing reads the size without decoding", "[decode]") {
  const auto files = test::bench_jpegs(1);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const std::string bytes = read_file(files[0]);
  ImageDecoder decoder;
  const auto info = decoder.probe(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  const Image img = decode_file(files[0], 3);
  CHECK(info.format == ImageFormat::kJpeg);
  CHECK(info.width == img.width());
  CHECK(info.height == img.height());
  // Reduced DCT scales give ceil(size / denom) pixels.
  for (int64_t denom : {2, 4, 8}) {
    const Image small =
        decoder.decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 3, denom);
    CHECK(small.width() == (img.width() + denom - 1) / denom);
    CHECK(small.height() == (img.height() + denom - 1) / denom);
  }
}

TEST_CASE("corrupt and empty files raise DecodeError", "[decode]") {
  ImageDecoder decoder;
  auto decode = [&](const std::string& bytes) {
    return decoder.decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 3);
  };
  CHECK_THROWS_AS(decode(""), DecodeError);
  CHECK_THROWS_AS(decode("this is not an image at all, just some text"), DecodeError);
  std::string fake_jpeg = "\xFF\xD8\xFF\xE0 garbage garbage garbage";
  CHECK_THROWS_AS(decode(fake_jpeg), DecodeError);
  std::string fake_png = std::string("\x89PNG\r\n\x1a\n", 8) + "garbage";
  CHECK_THROWS_AS(decode(fake_png), DecodeError);
}

TEST_CASE("a decoder that failed on a damaged JPEG decodes the next good one", "[decode]") {
  // TurboJPEG 2.1 keeps failing every header after this one on the same handle unless it is renewed.
  const std::string bad = "\xFF\xD8\xFF not a JPEG";
  const std::string good =
      read_file(std::filesystem::path(FOCAL_SOURCE_DIR) / "tests/fuzz/corpus/jpeg/rgb444.jpg");
  const auto* bad_bytes = reinterpret_cast<const uint8_t*>(bad.data());
  const auto* good_bytes = reinterpret_cast<const uint8_t*>(good.data());
  ImageDecoder decoder;
  for (int round = 0; round < 2; ++round) {
    CHECK_THROWS_WITH(decoder.decode(bad_bytes, bad.size(), 3), Catch::Contains("Unsupported marker"));
    CHECK(decoder.decode(good_bytes, good.size(), 3).width() == 37);
    CHECK_THROWS_AS(decoder.probe(bad_bytes, bad.size()), DecodeError);
    CHECK(decoder.probe(good_bytes, good.size()).height == 21);
    CHECK_THROWS_AS(decoder.decode_window(bad_bytes, bad.size(), 3, 1, Rect{0, 0, 4, 4}), DecodeError);
    CHECK(decoder.decode_window(good_bytes, good.size(), 1, 2, Rect{0, 0, 4, 4}).full_width == 19);  // 37 / 2
  }
}

TEST_CASE("a truncated photograph raises DecodeError, also for a window into the missing part", "[decode]") {
  const auto files = test::bench_jpegs(1);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  ImageDecoder decoder;
  auto decode = [&](const std::string& bytes) {
    return decoder.decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 3);
  };
  const std::string bytes = read_file(files[0]);
  const std::string half = bytes.substr(0, bytes.size() / 2);
  CHECK_THROWS_AS(decode(half), DecodeError);
  CHECK_NOTHROW(decode(bytes));
  // A window reaching into the missing half fails too.
  const Image full = decode(bytes);
  CHECK_THROWS_AS(decoder.decode_window(reinterpret_cast<const uint8_t*>(half.data()), half.size(), 3, 1,
                                        Rect{0, full.height() - 10, 10, 10}),
                  DecodeError);
}
