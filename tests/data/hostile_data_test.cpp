// Hostile data files (issue 12): decompression bombs refused from their header, IDX headers and gzip bombs
// that would allocate without bound, and a data set with a share of damaged files (skipped, each named
// once, counted; above DATA.MAX_UNREADABLE_SHARE an error).
#include "data/datasets/fashion_mnist_dataset.h"
#include "data/datasets/file_io.h"
#include "data/datasets/folder_dataset.h"
#include "data/decode/image_decoder.h"
#include "data/loading/loader.h"
#include "tests/data/data_test_util.h"
#include "tests/support/test_env.h"

#include <sys/resource.h>
#include <zlib.h>

#include <array>
#include <utility>
#include <vector>

#include <torch/torch.h>
#include <catch2/catch.hpp>

using namespace focal;
using namespace focal::data;
namespace fs = std::filesystem;

namespace {

// Small images of the fuzz seed corpus (tests/fuzz/make_corpus.py), present in every checkout.
std::string corpus_file(const std::string& target, const std::string& name) {
  return read_file(fs::path(FOCAL_SOURCE_DIR) / "tests/fuzz/corpus" / target / name);
}

void put_be16(std::string& s, size_t at, uint32_t v) {
  s[at] = static_cast<char>((v >> 8) & 0xFF);
  s[at + 1] = static_cast<char>(v & 0xFF);
}

void put_be32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
}

// A JPEG whose frame header (SOF0) declares `height` x `width`; the scan data stays that of a 37x21 image.
std::string jpeg_declaring(uint32_t height, uint32_t width) {
  std::string jpeg = corpus_file("jpeg", "rgb444.jpg");
  const size_t sof = jpeg.find("\xFF\xC0");
  REQUIRE(sof != std::string::npos);
  put_be16(jpeg, sof + 5, height);
  put_be16(jpeg, sof + 7, width);
  return jpeg;
}

const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no error>";
}

long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

void write_gzip(const fs::path& path, const std::string& head, int64_t zeros) {
  gzFile f = gzopen(path.c_str(), "wb1");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, head.data(), static_cast<unsigned>(head.size())) == static_cast<int>(head.size()));
  const std::string chunk(1 << 20, '\0');
  for (int64_t left = zeros; left > 0; left -= static_cast<int64_t>(chunk.size())) {
    const auto n = static_cast<unsigned>(std::min<int64_t>(left, static_cast<int64_t>(chunk.size())));
    REQUIRE(gzwrite(f, chunk.data(), n) == static_cast<int>(n));
  }
  REQUIRE(gzclose(f) == Z_OK);
}

std::string idx_images_header(uint32_t count, uint32_t rows, uint32_t cols) {
  std::string h(16, '\0');
  put_be32(h, 0, 2051);
  put_be32(h, 4, count);
  put_be32(h, 8, rows);
  put_be32(h, 12, cols);
  return h;
}

// Little- and big-endian fields of hand-built headers.
std::string le(uint32_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

std::string be(uint32_t v, int bytes) {
  std::string s = le(v, bytes);
  return {s.rbegin(), s.rend()};
}

// BITMAPFILEHEADER + BITMAPINFOHEADER (40 bytes), 24 bits per pixel, uncompressed, then `pixels`.
std::string bmp_declaring(int32_t width, int32_t height, const std::string& pixels = "") {
  const auto n = static_cast<uint32_t>(54 + pixels.size());
  return "BM" + le(n, 4) + le(0, 4) + le(54, 4) + le(40, 4) + le(static_cast<uint32_t>(width), 4) +
         le(static_cast<uint32_t>(height), 4) + le(1, 2) + le(24, 2) + std::string(24, '\0') + pixels;
}

// A classic TIFF whose first directory holds only the given (tag, type, value) entries.
std::string tiff_declaring(bool little, const std::vector<std::array<uint32_t, 3>>& entries) {
  auto u16 = [&](uint32_t v) { return little ? le(v, 2) : be(v, 2); };
  auto u32 = [&](uint32_t v) { return little ? le(v, 4) : be(v, 4); };
  std::string s =
      std::string(little ? "II" : "MM") + u16(42) + u32(8) + u16(static_cast<uint32_t>(entries.size()));
  for (const auto& [tag, type, value] : entries) {
    s += u16(tag) + u16(type) + u32(1) + (type == 3 ? u16(value) + u16(0) : u32(value));
  }
  return s + u32(0);
}

// RIFF/WEBP with one chunk of `payload` (only its header: no image data follows).
std::string webp_chunk(const std::string& fourcc, const std::string& payload) {
  return "RIFF" + le(static_cast<uint32_t>(12 + payload.size()), 4) + "WEBP" + fourcc +
         le(static_cast<uint32_t>(payload.size()), 4) + payload;
}

}  // namespace

TEST_CASE("BMP, PNM, TIFF and WebP headers declaring more pixels than the cap are refused before decoding",
          "[decode][limits]") {
  ImageDecoder decoder;
  // Each declares 20000 x 20000 (400 M pixels: 1.2 GB of RGB), under OpenCV's own limit of 2^30 pixels, so
  // only the header check stands between it and the allocation; VP8 and VP8L hold at most 16384 a side.
  const std::vector<std::pair<std::string, std::string>> bombs = {
      {"BMP", bmp_declaring(20000, 20000)},
      {"BMP top-down", bmp_declaring(20000, -20000)},
      {"BMP OS/2 core header", "BM" + le(26, 4) + le(0, 4) + le(26, 4) + le(12, 4) + le(20000, 2) +
                                   le(20000, 2) + le(1, 2) + le(24, 2)},
      {"PPM", "P6\n# a comment 1 1\n20000 20000\n255\n"},
      {"PGM", "P5 20000\t20000 255\n"},
      // OpenCV ends a number at the next byte and consumes it, so this is 20000 x 20000, not 20000 x 1.
      {"PPM, a '#' right after the width", "P6\n20000#20000\n1\n255\n"},
      {"PBM", "P4\n20000 20000\n"},
      {"TIFF little-endian LONG", tiff_declaring(true, {{256, 4, 20000}, {257, 4, 20000}})},
      {"TIFF big-endian SHORT", tiff_declaring(false, {{256, 3, 20000}, {257, 3, 20000}})},
      // libtiff reads the first of two ImageWidth entries and ignores the second.
      {"TIFF, the width given twice", tiff_declaring(true, {{256, 4, 20000}, {256, 4, 16}, {257, 4, 20000}})},
      {"WebP VP8X", webp_chunk("VP8X", le(0, 4) + le(19999, 3) + le(19999, 3))},
  };
  const long before = max_rss_kib();
  for (const auto& bomb : bombs) {
    INFO(bomb.first);
    const std::string& bytes = bomb.second;
    for (int64_t channels : {3, 1}) {
      CHECK_THAT(error_of([&] { decoder.decode(bytes_of(bytes), bytes.size(), channels); }),
                 Catch::Contains("20000x20000") && Catch::Contains("exceeds the limit of 178956970"));
    }
  }
  const std::string vp8l = webp_chunk("VP8L", "\x2f" + le(0x0FFFFFFF, 4));  // 16384 x 16384
  CHECK_THAT(error_of([&] { decoder.decode(bytes_of(vp8l), vp8l.size(), 3); }),
             Catch::Contains("16384x16384"));
  const std::string vp8 =
      webp_chunk("VP8 ", std::string("\x10\x02\x00\x9d\x01\x2a", 6) + le(16383, 2) + le(16383, 2));
  CHECK_THAT(error_of([&] { decoder.decode(bytes_of(vp8), vp8.size(), 3); }), Catch::Contains("16383x16383"));
  // A small tiled TIFF whose tile (allocated by the decoder too) is the bomb.
  const std::string tiled =
      tiff_declaring(true, {{256, 3, 16}, {257, 3, 16}, {322, 4, 20000}, {323, 4, 20000}});
  CHECK_THAT(error_of([&] { decoder.decode(bytes_of(tiled), tiled.size(), 3); }),
             Catch::Contains("20000x20000") && Catch::Contains("exceeds"));
  // A number past int64 in a PNM header saturates and is refused like any other large size.
  const std::string huge = "P6\n99999999999999999999999999 2\n255\n";
  CHECK_THAT(error_of([&] { decoder.decode(bytes_of(huge), huge.size(), 3); }), Catch::Contains("exceeds"));
  CHECK(max_rss_kib() - before < 256 * 1024);

  // The header check is the one that acts: a cap of one pixel refuses a valid 2 x 1 image before OpenCV
  // sees it, which decodes with a larger cap.
  const std::string ppm = "P6\n2 1\n255\n" + std::string("\x0a\x14\x1e\x28\x32\x3c", 6);
  const std::string bmp = bmp_declaring(2, 1, std::string("\x1e\x14\x0a\x3c\x32\x28\0\0", 8));  // BGR rows
  for (const std::string* bytes : {&ppm, &bmp}) {
    const Image img = decoder.decode(bytes_of(*bytes), bytes->size(), 3);
    REQUIRE(img.width() == 2);
    REQUIRE(img.height() == 1);
    CHECK(std::vector<int>(img.data(), img.data() + 6) == std::vector<int>{10, 20, 30, 40, 50, 60});
    ImageDecoder one_pixel(1);
    CHECK_THAT(error_of([&] { one_pixel.decode(bytes_of(*bytes), bytes->size(), 3); }),
               Catch::Contains("2x1") && Catch::Contains("exceeds the limit of 1"));
  }
}

TEST_CASE("malformed BMP, PNM, TIFF and WebP headers and formats we do not read are DecodeErrors",
          "[decode][limits]") {
  ImageDecoder decoder;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"BMP: header truncated", "BM" + le(54, 4)},
      {"BMP: unsupported header size 20",
       "BM" + le(54, 4) + le(0, 4) + le(54, 4) + le(20, 4) + le(2, 4) + le(2, 4)},
      {"BMP: invalid image size", bmp_declaring(-5, 3)},
      {"PNM: malformed header", "P6\n12"},
      {"PNM: malformed header", "P3\n# only a comment"},
      {"PNM: zero image size", "P5\n0 10\n255\n"},
      {"TIFF: first directory outside the file", std::string("II*\0", 4) + le(4096, 4)},
      {"TIFF: first directory truncated",
       std::string("II*\0", 4) + le(8, 4) + le(40, 2) + std::string(12, '\0')},
      {"TIFF: BigTIFF", std::string("II+\0\x08\0\0\0", 8) + std::string(8, '\0')},
      {"TIFF: no image size", tiff_declaring(true, {{256, 3, 16}})},
      {"TIFF: tag 256 has type 2", tiff_declaring(true, {{256, 2, 16}, {257, 3, 16}})},
      {"WebP: header truncated", "RIFF" + le(8, 4) + "WEBPVP8 "},
      {"WebP: first chunk is not VP8", webp_chunk("ALPH", std::string(16, '\0'))},
      {"WebP: bad VP8 start code", webp_chunk("VP8 ", std::string(10, '\0'))},
      {"WebP: bad VP8L signature", webp_chunk("VP8L", std::string(10, '\0'))},
      // Formats OpenCV would decode but whose headers are not checked: refused outright.
      {"other formats are not read", std::string("\x76\x2f\x31\x01\x02\0\0\0", 8) + "channels"},  // OpenEXR
      {"other formats are not read", "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 20000 +X 20000\n"},
      {"other formats are not read",
       std::string("\x59\xa6\x6a\x95", 4) + be(20000, 4) + be(20000, 4)},           // Sun
      {"other formats are not read", std::string("\0\0\0\x0cjP  \r\n\x87\n", 12)},  // JPEG 2000
      {"other formats are not read", "P7\nWIDTH 20000\nHEIGHT 20000\nDEPTH 3\nMAXVAL 255\nENDHDR\n"},
      {"other formats are not read", "PF\n20000 20000\n-1.0\n"},
      {"other formats are not read", "GIF89a" + le(20000, 2) + le(20000, 2)},
      {"other formats are not read", "name,label\nnot an image\n"},
  };
  for (const auto& [expected, bytes] : cases) {
    INFO(expected << " from " << bytes.size() << " bytes");
    for (int64_t channels : {3, 1}) {
      try {
        decoder.decode(bytes_of(bytes), bytes.size(), channels);
        FAIL("decoded without an error");
      } catch (const DecodeError& e) {
        CHECK_THAT(e.what(), Catch::Contains(expected));
      }
    }
  }
}

TEST_CASE("images declaring more pixels than the cap are refused from their header", "[decode][limits]") {
  const std::string jpeg = corpus_file("jpeg", "rgb444.jpg");  // 37x21 = 777 pixels
  ImageDecoder roomy(777), tight(776);
  CHECK(roomy.decode(bytes_of(jpeg), jpeg.size(), 3).width() == 37);
  CHECK_THAT(error_of([&] { tight.decode(bytes_of(jpeg), jpeg.size(), 3); }),
             Catch::Contains("37x21") && Catch::Contains("DATA.MAX_IMAGE_PIXELS"));
  CHECK_THROWS_AS(tight.decode_window(bytes_of(jpeg), jpeg.size(), 3, 1, Rect{0, 0, 4, 4}), DecodeError);

  // 65000 x 65000 declared (12 GiB of RGB): the default cap refuses it before any buffer exists, so the
  // process stays small.
  const long before = max_rss_kib();
  const std::string bomb = jpeg_declaring(65000, 65000);
  ImageDecoder decoder;
  CHECK(decoder.probe(bytes_of(bomb), bomb.size()).width == 65000);
  CHECK_THAT(error_of([&] { decoder.decode(bytes_of(bomb), bomb.size(), 3); }),
             Catch::Contains("65000x65000") && Catch::Contains("exceeds the limit of 178956970"));
  CHECK_THROWS_AS(decoder.decode(bytes_of(bomb), bomb.size(), 1, 8), DecodeError);
  CHECK_THROWS_AS(decoder.decode_window(bytes_of(bomb), bomb.size(), 3, 2, Rect{0, 0, 16, 16}), DecodeError);

  std::string png = corpus_file("png", "rgb.png");
  put_be32(png, 16, 100000);  // IHDR width and height (the CRC no longer matches: never read)
  put_be32(png, 20, 100000);
  CHECK_THAT(error_of([&] { decoder.decode(bytes_of(png), png.size(), 3); }),
             Catch::Contains("100000x100000") && Catch::Contains("exceeds"));
  // An ancillary chunk declaring 1.7 GB in a small file: libpng would allocate the declared length before
  // reading it; the chunk walk refuses it first, naming the chunk (the input fuzz_png found, rebuilt).
  std::string splt = corpus_file("png", "rgb.png");
  splt.insert(8 + 25, be(0x68358000, 4) + "sPLT" + std::string("pal\0\x08", 5));
  CHECK_THAT(error_of([&] { decoder.decode(bytes_of(splt), splt.size(), 3); }),
             Catch::Contains("sPLT chunk declares 1748336640 bytes") && Catch::Contains("left in the file"));
  put_be32(png, 16, 0xFFFFFFFF);  // a product beyond int64 is refused too
  put_be32(png, 20, 0xFFFFFFFF);
  CHECK_THROWS_AS(decoder.decode(bytes_of(png), png.size(), 3), DecodeError);
  CHECK(max_rss_kib() - before < 256 * 1024);
}

TEST_CASE("IDX headers announcing impossible sizes are errors naming the file", "[datasets][limits]") {
  const fs::path dir = test::temp_dir("idx_limits");
  const fs::path images = dir / "train-images-idx3-ubyte", labels = dir / "train-labels-idx1-ubyte";
  std::string label_file(8, '\0');
  put_be32(label_file, 0, 2049);
  test::write_bytes(labels, label_file);
  // 2^32 - 1 images of 65535 x 65535: the product overflows 64 bits.
  test::write_bytes(images, idx_images_header(0xFFFFFFFF, 65535, 65535));
  CHECK_THAT(error_of([&] { FashionMnistDataset(dir, true); }),
             Catch::Contains(images.string()) && Catch::Contains("exceed the limit"));
  test::write_bytes(images, idx_images_header(1, 0, 28));
  CHECK_THAT(error_of([&] { FashionMnistDataset(dir, true); }),
             Catch::Contains(images.string()) && Catch::Contains("image size 0x28"));
  test::write_bytes(images, idx_images_header(1000, 28, 28) + std::string(100, '\0'));
  CHECK_THAT(error_of([&] { FashionMnistDataset(dir, true); }),
             Catch::Contains(images.string()) && Catch::Contains("truncated"));
}

TEST_CASE("a gzip IDX file inflating far beyond its header is read only as far as the header says",
          "[datasets][limits]") {
  const fs::path dir = test::temp_dir("idx_gzip_bomb");
  // 2 images of 28x28 announced, followed by 768 MiB of zeros (a 0.8 MB file).
  write_gzip(dir / "train-images-idx3-ubyte.gz", idx_images_header(2, 28, 28), int64_t{768} << 20);
  std::string label_file(10, '\0');
  put_be32(label_file, 0, 2049);
  put_be32(label_file, 4, 2);
  label_file[9] = 7;
  write_gzip(dir / "train-labels-idx1-ubyte.gz", label_file, int64_t{768} << 20);
  const long before = max_rss_kib();
  FashionMnistDataset ds(dir, true);
  CHECK(max_rss_kib() - before < 64 * 1024);
  CHECK(ds.size() == 2);
  CHECK(ds.label(1) == 7);
}

TEST_CASE("a data set with damaged files trains on, names each once, and stops above the share",
          "[loader][limits]") {
  const fs::path root = test::temp_dir("damaged_set");
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  const std::string good = corpus_file("jpeg", "rgb444.jpg");
  for (int i = 0; i < 16; ++i)
    test::write_bytes(root / (i % 2 ? "a" : "b") / ("img" + std::to_string(i) + ".jpg"), good);
  const std::vector<fs::path> damaged = {root / "a" / "zero.jpg", root / "a" / "truncated.jpg",
                                         root / "b" / "text.jpg", root / "b" / "bomb.jpg",
                                         root / "a" / "bomb.tif", root / "b" / "bomb.webp"};
  test::write_bytes(damaged[0], "");
  test::write_bytes(damaged[1], good.substr(0, good.size() / 2));
  test::write_bytes(damaged[2], "name,label\nnot an image at all\n");
  test::write_bytes(damaged[3], jpeg_declaring(60000, 60000));
  test::write_bytes(damaged[4], tiff_declaring(true, {{256, 4, 60000}, {257, 4, 60000}}));
  test::write_bytes(damaged[5], webp_chunk("VP8X", le(0, 4) + le(59999, 3) + le(59999, 3)));
  const auto ds = std::make_shared<FolderDataset>(root);
  REQUIRE(ds->size() == 22);
  const auto t = std::make_shared<EvalTransform>(EvalTransformOptions().img_size(16));
  auto options = [] { return LoaderOptions().batch_size(5).shuffle(true).drop_last(false).num_workers(2); };

  // 6 of 22 (27 %) with a share of 0.3: two epochs train on substitutes, each file is named once.
  int64_t skipped = -1;
  const std::string log = test::capture_output([&] {
    DataLoader loader(ds, t, options().max_unreadable_share(0.3));
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
      loader.set_epoch(epoch);
      int64_t rows = 0;
      while (auto b = loader.next()) rows += b->images.size(0);
      CHECK(rows == 22);
    }
    skipped = loader.skipped_files();
  });
  CHECK(skipped == 6);
  for (const auto& p : damaged) {
    const std::string name = p.string() + ":";
    const size_t first = log.find(name);
    CHECK(first != std::string::npos);
    CHECK(log.find(name, first + 1) == std::string::npos);
  }
  CHECK_THAT(log, Catch::Contains("DATA.MAX_IMAGE_PIXELS"));

  // The default share (5 %): one damaged file is allowed in 22, the second one stops the epoch.
  test::capture_output([&] {
    DataLoader loader(ds, t, options());
    CHECK_THAT(
        error_of([&] {
          while (loader.next()) {
          }
        }),
        Catch::Contains("of the 22 files are unreadable") && Catch::Contains("DATA.MAX_UNREADABLE_SHARE"));
  });
}
