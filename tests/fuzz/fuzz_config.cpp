// Fuzz target: the YAML configuration loader with BASE includes. One input holds up to three files
// (split at "\n--8<--\n"): main.yaml, base.yaml and other.yaml in one folder, so that BASE can name
// "base.yaml", "other.yaml", "main.yaml" (a cycle) or a missing file. Promises checked: a ConfigError that
// names a file of the folder, or a configuration whose dump() merge_file reads back unchanged.
//
// Speed: the folder is reused (on tmpfs when /dev/shm exists) and a file is rewritten only when its bytes
// change. The dump round trip (a second parse of the whole schema, the slow part) runs once per distinct
// resolved configuration: it is deterministic, so repeating it for a dump that passed adds nothing, and a
// dump that fails aborts at once; most inputs resolve to one of a few configurations.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "focal/config/config.h"
#include "focal/config/config_error.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

constexpr size_t kFiles = 3;
// Bounds the memory of the dumps already checked (a dump is about 5 KB).
constexpr size_t kMaxCheckedDumps = 4096;

// The three files of the folder as last written: a part equal to what is on disk is not written again.
struct ConfigFolder {
  std::filesystem::path dir = focal::fuzz::scratch_dir() / "config";
  std::string written[kFiles];
  bool present[kFiles] = {false, false, false};

  ConfigFolder() { std::filesystem::create_directories(dir); }

  void write(const std::string_view* parts, size_t n) {
    static const char* const kNames[kFiles] = {"main.yaml", "base.yaml", "other.yaml"};
    for (size_t i = 0; i < kFiles; ++i) {
      if (i < n) {
        if (present[i] && written[i] == parts[i]) continue;
        focal::fuzz::write_bytes(dir / kNames[i], parts[i]);
        written[i] = parts[i];
        present[i] = true;
      } else if (present[i]) {
        std::error_code ec;
        std::filesystem::remove(dir / kNames[i], ec);
        present[i] = false;
      }
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const focal::Config defaults = focal::Config::defaults();
  static ConfigFolder folder;
  static std::unordered_set<std::string> checked_dumps;
  std::string_view parts[kFiles];
  folder.write(parts, focal::fuzz::split_parts(input, parts, kFiles));
  focal::Config config = defaults;
  try {
    config.merge_file((folder.dir / "main.yaml").string());
  } catch (const focal::ConfigError& e) {
    focal::fuzz::expect_named(e, folder.dir.string());
    return 0;
  }
  // The dump is the resolved configuration: merged onto the defaults it gives the same configuration.
  const std::string dump = config.dump();
  if (checked_dumps.count(dump) != 0) return 0;
  focal::fuzz::write_bytes(folder.dir / "dump.yaml", dump);
  focal::Config again = defaults;
  try {
    again.merge_file((folder.dir / "dump.yaml").string());
  } catch (const focal::ConfigError& e) {
    focal::fuzz::finding(std::string("the dump of a configuration does not load: ") + e.what());
  }
  if (again.dump() != dump)
    focal::fuzz::finding("the dump of a configuration loads as another configuration");
  // Gone before the next input, which could name it in BASE: each input sees only its own files.
  std::error_code ec;
  std::filesystem::remove(folder.dir / "dump.yaml", ec);
  if (checked_dumps.size() >= kMaxCheckedDumps) checked_dumps.clear();
  checked_dumps.insert(dump);
  return 0;
}
