// Fuzz target: the Fashion-MNIST IDX reader. One input holds the image file and the label file (split at
// "\n--8<--\n"); either may be gzip-compressed (named .gz when it starts with the gzip magic), so both the
// IDX headers and zlib's inflation are reached. Promise checked: a data set whose samples read back, or a
// std::runtime_error naming a file of the folder; no unbounded allocation (a gzip bomb is read only as far
// as the header's image count needs).
#include <cstdint>
#include <string>
#include <string_view>

#include "data/datasets/fashion_mnist_dataset.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = focal::fuzz::scratch_dir() / "idx";
  std::filesystem::create_directories(dir);
  std::string_view parts[2];
  const size_t n =
      focal::fuzz::split_parts(std::string_view(reinterpret_cast<const char*>(data), size), parts, 2);
  const std::string stems[2] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"};
  for (size_t i = 0; i < 2; ++i) {
    std::error_code ec;
    std::filesystem::remove(dir / stems[i], ec);
    std::filesystem::remove(dir / (stems[i] + ".gz"), ec);
    if (i >= n) continue;
    const bool gz = parts[i].size() >= 2 && parts[i][0] == '\x1f' && parts[i][1] == '\x8b';
    focal::fuzz::write_bytes(dir / (gz ? stems[i] + ".gz" : stems[i]), parts[i]);
  }
  try {
    focal::data::FashionMnistDataset dataset(dir, /*train=*/true);
    for (int64_t i = 0; i < std::min<int64_t>(dataset.size(), 8); ++i) (void)dataset.get(i);
  } catch (const std::runtime_error& e) {
    focal::fuzz::expect_named(e, dir.string());
  }
  return 0;
}
