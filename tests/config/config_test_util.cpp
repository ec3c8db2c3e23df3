#include "tests/config/config_test_util.h"

#include "focal/config/config_error.h"

#include <fstream>
#include <sstream>

namespace focal::test {

std::string write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

std::string config_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const focal::ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

std::filesystem::path configs_dir() { return std::filesystem::path(FOCAL_SOURCE_DIR) / "configs"; }

}  // namespace focal::test
