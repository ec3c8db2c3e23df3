#pragma once
// Small helpers of the focal-eval and focal-tables tests: where the sources and tools are, shell quoting,
// reading a file.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace focal::test {

// The checkout (configs, reference scripts) and the build's executables.
inline const std::filesystem::path& source_dir() {
  static const std::filesystem::path dir = FOCAL_SOURCE_DIR;
  return dir;
}

inline const std::filesystem::path& tool_dir() {
  static const std::filesystem::path dir = std::filesystem::path(FOCAL_BINARY_DIR) / "bin";
  return dir;
}

// A path in double quotes for a shell command line.
inline std::string sq(const std::filesystem::path& p) { return "\"" + p.string() + "\""; }

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace focal::test
