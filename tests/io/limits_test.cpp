// The caps that make a hostile checkpoint harmless (issue 12): every one is checked before the memory it
// guards is allocated, and the error names the file and the limit.
#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <string>

#include "focal/io/checkpoint.h"
#include "focal/io/checkpoint_writer.h"
#include "tests/io/io_test_support.h"
#include "tests/support/test_env.h"

namespace {

// The bytes of a checkpoint holding one float tensor of `numel` elements.
std::string checkpoint_of(int64_t numel, const std::string& name) {
  const auto path = focal::test::temp_dir("io_limits") / name;
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("w", torch::arange(numel, torch::kFloat));
  focal::io::save_pickle_file(path.string(), dict);
  return focal::test::read_file(path);
}

// Replaces the first occurrence of `from` (which must exist) by `to` of the same length.
void patch(std::string& bytes, const std::string& from, const std::string& to) {
  REQUIRE(from.size() == to.size());
  const size_t at = bytes.find(from);
  REQUIRE(at != std::string::npos);
  bytes.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a storage above ReadOptions::max_storage_bytes is refused", "[io][limits]") {
  const std::string bytes = checkpoint_of(1000, "cap.pth");  // 4000 bytes of data
  CHECK_NOTHROW(focal::io::read_pickle_bytes(bytes, "cap.pth"));
  CHECK_NOTHROW(
      focal::io::read_pickle_bytes(bytes, "cap.pth", focal::io::ReadOptions().max_storage_bytes(4000)));
  CHECK_THROWS_WITH(
      focal::io::read_pickle_bytes(bytes, "cap.pth", focal::io::ReadOptions().max_storage_bytes(3999)),
      Catch::StartsWith("cap.pth: ") && Catch::Contains("4000 bytes") &&
          Catch::Contains("max_storage_bytes"));
}

TEST_CASE("a storage claiming more elements than its zip record holds is refused", "[io][limits]") {
  // The pickle's element count (BININT2 1000 = "M\xe8\x03") raised to 60000: the record has 4000 bytes.
  std::string bytes = checkpoint_of(1000, "claim.pth");
  patch(bytes, std::string("M\xe8\x03", 3), std::string("M\x60\xea", 3));
  CHECK_THROWS_WITH(focal::io::read_pickle_bytes(bytes, "claim.pth"),
                    Catch::StartsWith("claim.pth: ") && Catch::Contains("holds 4000 bytes"));
}

TEST_CASE("a legacy storage claiming more bytes than the file is refused before allocation", "[io][limits]") {
  // Legacy torch.save: the element count is in the persistent id; a count of 2^40 floats (4 TiB) in a file
  // of a few hundred bytes must fail at once, not try to allocate.
  std::string pickle("\x80\x02", 2);
  auto put_text = [&](const std::string& s) {
    pickle += 'X';
    const auto n = static_cast<uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) pickle.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
    pickle += s;
  };
  std::string magic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
  std::string version("\x80\x02M\xe9\x03.", 6);
  std::string sys_info("\x80\x02}.", 4);
  // ('storage', torch.FloatStorage, '0', 'cpu', 2**40) as the persistent id of the whole object.
  pickle += '(';
  put_text("storage");
  pickle += "ctorch\nFloatStorage\n";
  put_text("0");
  put_text("cpu");
  pickle += std::string("\x8a\x06\x00\x00\x00\x00\x00\x01", 8);  // LONG1 2^40
  pickle += "tQ.";
  std::string keys(
      "\x80\x02]q\x00X\x01\x00\x00\x00"
      "0a.",
      13);  // split: "\x000a" would be one hex escape
  const std::string file = magic + version + sys_info + pickle + keys;
  CHECK_THROWS_WITH(focal::io::read_pickle_bytes(file, "legacy.pth"),
                    Catch::StartsWith("legacy.pth: ") && Catch::Contains("max_storage_bytes"));
  const auto no_cap = focal::io::ReadOptions().max_storage_bytes(std::numeric_limits<int64_t>::max());
  CHECK_THROWS_WITH(focal::io::read_pickle_bytes(file, "legacy.pth", no_cap),
                    Catch::StartsWith("legacy.pth: ") && Catch::Contains("more than the file holds"));
}

TEST_CASE("deep nesting and memo growth stop at their limits", "[io][limits]") {
  // 100000 nested lists: the default max_nesting (1000) stops the conversion without exhausting the stack.
  std::string deep("\x80\x02", 2);
  for (int i = 0; i < 100000; ++i) deep += "]";
  for (int i = 0; i < 99999; ++i) deep += "a";
  deep += ".";
  CHECK_THROWS_WITH(focal::io::read_pickle_bytes(deep, "deep.pkl"),
                    Catch::StartsWith("deep.pkl: ") && Catch::Contains("max_nesting"));
  // A memo entry per opcode (MEMOIZE after NONE, repeated): bounded by max_objects.
  std::string memo("\x80\x04", 2);
  for (int i = 0; i < 5000; ++i) memo += "N\x94";
  memo += "N.";
  CHECK_THROWS_WITH(
      focal::io::read_pickle_bytes(memo, "memo.pkl", focal::io::ReadOptions().max_objects(1000)),
      Catch::StartsWith("memo.pkl: "));
}
