// Fuzz target: the YAML configuration loader with BASE includes. One input holds up to three files
// (split at "\n--8<--\n"): main.yaml, base.yaml and other.yaml in one folder, so that BASE can name
// "base.yaml", "other.yaml", "main.yaml" (a cycle) or a missing file. Promises checked: a ConfigError that
// names a file of the folder, or a configuration whose dump() merge_file reads back unchanged.
#include <cstdint>
#include <string>
#include <string_view>

#include "focal/config/config.h"
#include "focal/config/config_error.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const focal::Config defaults = focal::Config::defaults();
  const auto dir = focal::fuzz::scratch_dir() / "config";
  std::filesystem::create_directories(dir);
  std::string_view parts[3];
  const size_t n = focal::fuzz::split_parts(input, parts, 3);
  const char* names[3] = {"main.yaml", "base.yaml", "other.yaml"};
  for (size_t i = 0; i < 3; ++i) {
    std::error_code ec;
    std::filesystem::remove(dir / names[i], ec);
    if (i < n) focal::fuzz::write_bytes(dir / names[i], parts[i]);
  }
  focal::Config config = defaults;
  try {
    config.merge_file((dir / "main.yaml").string());
  } catch (const focal::ConfigError& e) {
    focal::fuzz::expect_named(e, dir.string());
    return 0;
  }
  // The dump is the resolved configuration: merged onto the defaults it gives the same configuration.
  const std::string dump = config.dump();
  focal::fuzz::write_bytes(dir / "dump.yaml", dump);
  focal::Config again = defaults;
  try {
    again.merge_file((dir / "dump.yaml").string());
  } catch (const focal::ConfigError& e) {
    focal::fuzz::finding(std::string("the dump of a configuration does not load: ") + e.what());
  }
  if (again.dump() != dump)
    focal::fuzz::finding("the dump of a configuration loads as another configuration");
  return 0;
}
