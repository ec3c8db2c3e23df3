// Hostile and damaged input: truncations at many offsets, random byte flips, random bytes and random opcode
// programs. Every read must either succeed or throw std::runtime_error naming the source; never crash.
#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "focal/io/checkpoint.h"
#include "focal/io/checkpoint_writer.h"
#include "tests/io/io_test_support.h"
#include "tests/support/test_env.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kSource = "fuzz.pth";

// Walks the result and reads every tensor, so that a tensor pointing outside its storage would be caught
// (by AddressSanitizer, in a sanitizer build).
double touch(const c10::IValue& v) {
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    return t.numel() > 0 && t.numel() < (int64_t{1} << 24) ? t.to(at::kDouble).abs().sum().item<double>()
                                                           : 0.0;
  }
  double s = 0;
  if (v.isList()) {
    for (const auto& item : v.toListRef()) s += touch(item);
  } else if (v.isTuple()) {
    for (const auto& item : v.toTupleRef().elements()) s += touch(item);
  } else if (v.isGenericDict()) {
    for (const auto& e : v.toGenericDict()) s += touch(e.value());
  }
  return s;
}

// Returns true when the bytes were read, false when they were rejected properly.
bool read_or_reject(const std::string& bytes) {
  try {
    touch(focal::io::read_pickle_bytes(bytes, kSource));
    return true;
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.rfind(std::string(kSource) + ": ", 0) == 0);
    return false;
  }
}

// A small checkpoint from the C++ writer: views, several dtypes, nesting.
std::string small_checkpoint() {
  auto dir = focal::test::temp_dir("io_fuzz_seed");
  auto base = torch::arange(12, torch::kFloat).reshape({3, 4});
  c10::impl::GenericDict inner(c10::StringType::get(), c10::AnyType::get());
  inner.insert("w", base);
  inner.insert("view", base.slice(1, 1, 3));
  inner.insert("half", torch::ones({2}, torch::kHalf));
  c10::impl::GenericList list(c10::AnyType::get());
  list.push_back(c10::IValue(int64_t{7}));
  list.push_back(c10::IValue(std::string("text")));
  list.push_back(torch::tensor({1, 2, 3}, torch::kLong));
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("model", inner);
  root.insert("list", list);
  root.insert("lr", 0.5);
  focal::io::save_pickle_file((dir / "seed.pth").string(), root);
  return focal::test::read_file(dir / "seed.pth");
}

void truncations(const std::string& file, size_t dense_prefix, size_t dense_step, size_t sparse_count) {
  size_t rejected = 0;
  size_t tried = 0;
  for (size_t n = 0; n < std::min(dense_prefix, file.size()); n += dense_step, ++tried) {
    rejected += read_or_reject(file.substr(0, n)) ? 0 : 1;
  }
  for (size_t i = 1; i <= sparse_count; ++i, ++tried) {
    rejected += read_or_reject(file.substr(0, file.size() * i / (sparse_count + 1))) ? 0 : 1;
  }
  CHECK(rejected == tried);  // a proper prefix of a checkpoint is never a valid checkpoint
}

}  // namespace

TEST_CASE("every truncation of a small zip checkpoint is rejected", "[io][malformed]") {
  const std::string file = small_checkpoint();
  REQUIRE(read_or_reject(file));
  truncations(file, file.size(), 1, 0);
}

TEST_CASE("truncations of the fixture checkpoints are rejected", "[io][malformed][fixtures]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures missing: " + focal::test::fixtures_dir().string());
  const auto dir = focal::test::fixtures_dir();
  // The legacy file's pickles fill its first ~31 kB: dense there, sparse through the storage data.
  const std::string legacy = focal::test::read_file(dir / "focal_micro_224.legacy.pth");
  REQUIRE(read_or_reject(legacy));
  truncations(legacy, 32000, 13, 60);
  const std::string zip = focal::test::read_file(dir / "focal_micro_224.pth");
  truncations(zip, 0, 1, 60);
}

TEST_CASE("the pickle inside a zip checkpoint survives random corruption", "[io][malformed]") {
  const std::string file = small_checkpoint();
  const size_t pickle_at = file.find("data.pkl");
  REQUIRE(pickle_at != std::string::npos);
  std::mt19937 rng(1234);
  int rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bad = file;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Most flips land in the pickle (right after the first record name), the rest anywhere.
      const size_t span = round % 4 == 0 ? bad.size() : std::min<size_t>(900, bad.size() - pickle_at);
      const size_t at = round % 4 == 0 ? rng() % span : pickle_at + rng() % span;
      bad[at] = static_cast<char>(rng() % 256);
    }
    rejected += read_or_reject(bad) ? 0 : 1;
  }
  CHECK(rejected > 100);  // the corruption reaches the parser, not only tensor bytes
}

TEST_CASE("random corruption of the legacy fixture's pickles", "[io][malformed][fixtures]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures missing: " + focal::test::fixtures_dir().string());
  // Only the pickle header part is kept (storages truncated away) so every round stays cheap.
  const std::string file = focal::test::read_file(focal::test::fixtures_dir() / "focal_micro_224.legacy.pth");
  const std::string head = file.substr(0, 40000);
  std::mt19937 rng(99);
  int rejected = 0;
  for (int round = 0; round < 600; ++round) {
    std::string bad = head;
    for (int f = 0; f < 3; ++f) bad[rng() % 31000] = static_cast<char>(rng() % 256);
    rejected += read_or_reject(bad) ? 0 : 1;
  }
  CHECK(rejected > 0);
}

TEST_CASE("random bytes and random opcode programs are rejected or read, never crash", "[io][malformed]") {
  std::mt19937 rng(42);
  // Opcodes and argument bytes that keep programs going: small lengths and memo indices.
  const std::string alphabet =
      std::string("()0.12NKMJ\x8a\x88\x89]}ealtsu\x85\x86\x87hqjrgpRQb\x81\x94\x95\x8cXGCBT", 41) +
      std::string("\x00\x01\x02\x03\x04", 5) + "\x80";
  for (int round = 0; round < 4000; ++round) {
    std::string bytes;
    const size_t n = rng() % 64;
    const int style = round % 4;
    if (style == 0) bytes = "PK\x03\x04";
    if (style == 1) bytes = std::string("\x80\x02", 2);
    for (size_t i = 0; i < n; ++i) {
      bytes.push_back(style >= 2 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() % 256));
    }
    if (style == 3) bytes.push_back('.');
    read_or_reject(bytes);
  }
  // A zip directory claiming huge sizes and offsets.
  // End record: signature, two disk numbers, then entry counts, size and offset all 0xFF, no comment.
  std::string eocd =
      std::string("PK\x05\x06", 4) + std::string(4, '\0') + std::string(12, '\xff') + std::string(2, '\0');
  CHECK_FALSE(read_or_reject(eocd));
}

TEST_CASE("file errors name the file", "[io][malformed]") {
  auto dir = focal::test::temp_dir("io_errors");
  const std::string missing = (dir / "missing.pth").string();
  CHECK_THROWS_WITH(focal::io::read_pickle_file(missing), Catch::Contains(missing));
  CHECK_THROWS_WITH(focal::io::read_pickle_file(dir.string()), Catch::Contains(dir.string()));
  focal::test::write_file(dir / "empty.pth", "");
  CHECK_THROWS_WITH(focal::io::read_pickle_file((dir / "empty.pth").string()), Catch::Contains("empty"));
  focal::test::write_file(dir / "text.pth", "hello, world\n");
  CHECK_THROWS_WITH(focal::io::read_pickle_file((dir / "text.pth").string()), Catch::Contains("text.pth"));
  // A zip archive that is not a checkpoint.
  std::string file = small_checkpoint();
  for (size_t at = file.find("data.pkl"); at != std::string::npos; at = file.find("data.pkl", at + 1)) {
    file[at] = 'x';
  }
  focal::test::write_file(dir / "nopickle.pth", file);
  CHECK_THROWS_WITH(focal::io::read_pickle_file((dir / "nopickle.pth").string()),
                    Catch::Contains("no data.pkl"));
}

TEST_CASE("resource limits turn oversized structures into errors", "[io][malformed]") {
  // A list nested 50 deep read with max_nesting 10.
  std::string deep("\x80\x02", 2);
  for (int i = 0; i < 50; ++i) deep += "]";
  for (int i = 0; i < 49; ++i) deep += "a";
  deep += ".";
  CHECK_NOTHROW(focal::io::read_pickle_bytes(deep, "deep"));
  CHECK_THROWS_WITH(focal::io::read_pickle_bytes(deep, "deep", focal::io::ReadOptions().max_nesting(10)),
                    Catch::Contains("max_nesting"));
  // 100 values against a budget of 20.
  std::string many("\x80\x02(", 3);
  for (int i = 0; i < 100; ++i) many += "N";
  many += "l.";
  CHECK_THROWS_WITH(focal::io::read_pickle_bytes(many, "many", focal::io::ReadOptions().max_objects(20)),
                    Catch::Contains("max_objects"));
  // One 100 kB string turned into bytes 200 times through the memo: 20 MB from a 100 kB file.
  std::string copies(
      "\x80\x02"
      "c_codecs\nencode\nq\x00X",
      21);
  const uint32_t n = 100000;
  for (int i = 0; i < 4; ++i) copies.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  copies += std::string(n, 'a') + std::string("\x8c\x06latin1\x86q\x01", 11);
  for (int i = 0; i < 200; ++i) copies += std::string("h\x00h\x01R0", 6);
  copies += "N.";
  CHECK_THROWS_WITH(focal::io::read_pickle_bytes(copies, "copies"), Catch::Contains("strings exceed"));
}
