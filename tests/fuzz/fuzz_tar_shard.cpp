// Fuzz target: the tar reader and the WebDataset shard index on one arbitrary shard file, then reading back
// the first samples as the data loader does. Promise checked: samples or a std::runtime_error that names the
// shard; never a crash or a sanitizer report.
#include <cstdint>
#include <string>
#include <string_view>

#include "data/datasets/shard_dataset.h"
#include "data/datasets/tar_file.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = focal::fuzz::scratch_dir() / "shards";
  std::filesystem::create_directories(dir);
  const auto shard = dir / "train-000000.tar";
  focal::fuzz::write_bytes(shard, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    focal::data::TarReader reader(shard);
    focal::data::TarMember member;
    for (int i = 0; i < 64 && reader.next(member); ++i) {
      if (i % 2 == 0) (void)reader.read_contents();  // the others are skipped by next()
    }
  } catch (const std::runtime_error& e) {
    focal::fuzz::expect_named(e, shard.string());
  }
  try {
    focal::data::ShardDataset dataset(dir, focal::data::ShardDatasetOptions().shuffle_buffer(4));
    for (int64_t i = 0; i < std::min<int64_t>(dataset.size(), 16); ++i) (void)dataset.get(i);
    (void)dataset.epoch_order(1, 0, true);
  } catch (const std::runtime_error& e) {
    focal::fuzz::expect_named(e, dir.string());
  }
  return 0;
}
