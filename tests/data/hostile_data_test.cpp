// Hostile data files (issue 12): decompression bombs refused from their header, IDX headers and gzip bombs
// that would allocate without bound, and a data set with a share of damaged files (skipped, each named
// once, counted; above DATA.MAX_UNREADABLE_SHARE an error).
#include "data/fashion_mnist_dataset.h"
#include "data/file_io.h"
#include "data/folder_dataset.h"
#include "data/image_decoder.h"
#include "data/loader.h"
#include "tests/data/data_test_util.h"
#include "tests/support/test_env.h"

#include <sys/resource.h>
#include <zlib.h>

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

}  // namespace

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
                                         root / "b" / "text.jpg", root / "b" / "bomb.jpg"};
  test::write_bytes(damaged[0], "");
  test::write_bytes(damaged[1], good.substr(0, good.size() / 2));
  test::write_bytes(damaged[2], "name,label\nnot an image at all\n");
  test::write_bytes(damaged[3], jpeg_declaring(60000, 60000));
  const auto ds = std::make_shared<FolderDataset>(root);
  REQUIRE(ds->size() == 20);
  const auto t = std::make_shared<EvalTransform>(EvalTransformOptions().img_size(16));
  auto options = [] { return LoaderOptions().batch_size(5).shuffle(true).drop_last(false).num_workers(2); };

  // 4 of 20 (20 %) with a share of 0.25: two epochs train on substitutes, each file is named once.
  int64_t skipped = -1;
  const std::string log = test::capture_output([&] {
    DataLoader loader(ds, t, options().max_unreadable_share(0.25));
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
      loader.set_epoch(epoch);
      int64_t rows = 0;
      while (auto b = loader.next()) rows += b->images.size(0);
      CHECK(rows == 20);
    }
    skipped = loader.skipped_files();
  });
  CHECK(skipped == 4);
  for (const auto& p : damaged) {
    const std::string name = p.string() + ":";
    const size_t first = log.find(name);
    CHECK(first != std::string::npos);
    CHECK(log.find(name, first + 1) == std::string::npos);
  }
  CHECK_THAT(log, Catch::Contains("DATA.MAX_IMAGE_PIXELS"));

  // The default share (5 %): one damaged file is allowed in 20, the second one stops the epoch.
  test::capture_output([&] {
    DataLoader loader(ds, t, options());
    CHECK_THAT(
        error_of([&] {
          while (loader.next()) {
          }
        }),
        Catch::Contains("of the 20 files are unreadable") && Catch::Contains("DATA.MAX_UNREADABLE_SHARE"));
  });
}
