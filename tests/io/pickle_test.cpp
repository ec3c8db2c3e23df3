// The pickle machine against Python's own pickler (every protocol) and against opcode sequences written
// from the pickle specification.
#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>

#include "focal/io/checkpoint.h"
#include "tests/io/io_test_support.h"
#include "tests/support/test_env.h"

namespace fs = std::filesystem;
using focal::io::read_pickle_bytes;

namespace {

c10::IValue unpickle(const std::string& bytes) { return read_pickle_bytes(bytes, "test.pkl"); }

std::string error_of(const std::string& bytes) {
  try {
    unpickle(bytes);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("pickles of every protocol read as Python wrote them", "[io][pickle][python]") {
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(*ref / "pickles")) {
    if (entry.path().extension() != ".pkl") continue;
    INFO("case " << entry.path().filename());
    auto expected = focal::test::read_file(fs::path(entry.path()).replace_extension(".txt"));
    CHECK(focal::test::canonical(focal::io::read_pickle_file(entry.path().string())) == expected);
    ++cases;
  }
  // 27 cases, each in (at least) five of the protocols 0-5.
  CHECK(cases >= 27 * 5);
}

TEST_CASE("placeholders keep the class name, cycles become a marker", "[io][pickle][python]") {
  auto ref = focal::test::reference_data();
  if (!ref) FOCAL_SKIP_MISSING("no reference Python with torch and numpy");
  for (int protocol : {0, 2, 5}) {
    auto p = std::to_string(protocol);
    auto empty = focal::io::read_pickle_file((*ref / "pickles" / ("empty_object.p" + p + ".pkl")).string());
    CHECK(empty.toStringRef() == "<unsupported __main__.Empty>");
    auto cyclic = focal::io::read_pickle_file((*ref / "pickles" / ("recursive.p" + p + ".pkl")).string());
    REQUIRE(cyclic.isList());
    CHECK(cyclic.toListRef().at(0).toStringRef() == "<recursive reference>");
    // A yacs-like dict subclass loads as a dict of its items.
    auto cfg = focal::io::read_pickle_file((*ref / "pickles" / ("cfgnode.p" + p + ".pkl")).string());
    REQUIRE(cfg.isGenericDict());
    auto model = cfg.toGenericDict().at("MODEL").toGenericDict();
    CHECK(model.at("NAME").toStringRef() == "focal_micro");
  }
}

// A byte string from a literal, embedded NULs included.
template <size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// Expected values below follow from the opcode definitions in Python's pickletools.
TEST_CASE("integer opcodes decode as the specification says", "[io][pickle]") {
  CHECK(unpickle(bytes("\x80\x02K\xff.")).toInt() == 255);                // BININT1
  CHECK(unpickle(bytes("\x80\x02M\x01\x02.")).toInt() == 0x0201);         // BININT2
  CHECK(unpickle(bytes("\x80\x02J\xfe\xff\xff\xff.")).toInt() == -2);     // BININT
  CHECK(unpickle(bytes("\x80\x02\x8a\x00.")).toInt() == 0);               // LONG1, no bytes
  CHECK(unpickle(bytes("\x80\x02\x8a\x01\xff.")).toInt() == -1);          // LONG1
  CHECK(unpickle(bytes("\x80\x02\x8a\x02\x00\x80.")).toInt() == -32768);  // LONG1
  // Nine bytes whose last only repeats the sign: still int64's minimum.
  CHECK(unpickle(bytes("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\xff.")).toInt() ==
        std::numeric_limits<int64_t>::min());
  // 2**64 does not fit int64 and loads as the double 2**64.
  CHECK(unpickle(bytes("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.")).toDouble() ==
        std::ldexp(1.0, 64));
  CHECK(unpickle("I01\n.").toBool());  // protocol 0 True
  CHECK(unpickle("I-17\n.").toInt() == -17);
  CHECK(unpickle("L12345678901L\n.").toInt() == 12345678901LL);
  CHECK(unpickle("F0.25\n.").toDouble() == 0.25);
  CHECK(unpickle(bytes("G\x3f\xf8\x00\x00\x00\x00\x00\x00.")).toDouble() == 1.5);  // BINFLOAT, big-endian
}

TEST_CASE("container opcodes, memo and marks", "[io][pickle]") {
  // EMPTY_LIST, MARK, 1, 2, 3, TUPLE2 -> (2, 3), MARK 'a' 4 DICT -> {'a': 4}, APPENDS: [1, (2, 3), {'a': 4}]
  auto v =
      unpickle(bytes("\x80\x02](K\x01K\x02K\x03\x86(X\x01\x00\x00\x00"
                     "aK\x04"
                     "de."));
  REQUIRE(v.isList());
  auto items = v.toListRef();
  REQUIRE(items.size() == 3);
  CHECK(items[0].toInt() == 1);
  CHECK(items[1].toTupleRef().elements().size() == 2);
  CHECK(items[2].toGenericDict().at("a").toInt() == 4);
  // MARK, EMPTY_LIST, BINPUT 0, BINGET 0, LIST: the same list twice.
  auto shared = unpickle(bytes("\x80\x02(]q\x00h\x00l."));
  auto pair = shared.toListRef();
  REQUIRE(pair.size() == 2);
  REQUIRE(pair[0].isList());
  CHECK(pair[0].toList().is(pair[1].toList()));
}

TEST_CASE("malformed pickles fail with the source name and the opcode offset", "[io][pickle]") {
  CHECK_THAT(error_of("."), Catch::Contains("test.pkl") && Catch::Contains("stack underflow"));
  CHECK_THAT(error_of(bytes("\x80\x02h\x05.")), Catch::Contains("memo key 5"));
  CHECK_THAT(error_of(bytes("\x80\x02\xff.")),
             Catch::Contains("unknown opcode 0xff") && Catch::Contains("byte 2"));
  CHECK_THAT(error_of(bytes("\x80\x09.")), Catch::Contains("protocol 9"));
  CHECK_THAT(error_of(bytes("\x80\x02X\xff\xff\x00\x00"
                            "ab.")),
             Catch::Contains("ends early"));
  CHECK_THAT(error_of(bytes("\x80\x02K\x01")), Catch::Contains("ends early"));  // no STOP
  CHECK_THAT(error_of(bytes("\x80\x02K\x00K\x01K\x02s.")), Catch::Contains("not a dict"));
  CHECK_THAT(error_of(bytes("\x80\x02(K\x01K\x02\x86Q.")), Catch::Contains("persistent id"));
  CHECK_THAT(error_of(""), Catch::Contains("empty"));
}
