#include "tests/support/test_env.h"

#include <atomic>
#include <cstdlib>
#include <random>

namespace focal::test {

std::filesystem::path fixtures_dir() {
  if (const char* env = std::getenv("FOCAL_FIXTURES_DIR")) return env;
  return FOCAL_FIXTURES_DIR;
}

bool have_fixtures() { return std::filesystem::exists(fixtures_dir() / "focal_micro_224.json"); }

std::filesystem::path bench_dir() {
  if (const char* env = std::getenv("FOCAL_BENCH_DIR")) return env;
  return FOCAL_BENCH_DIR;
}

std::filesystem::path temp_dir(const std::string& name) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             ("focal_test_" + name + "_" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

std::optional<std::string> reference_python(const std::string& modules) {
  std::string py = FOCAL_PYTHON;
  if (const char* env = std::getenv("FOCAL_PYTHON")) py = env;
  if (py.empty() || !std::filesystem::exists(py)) return std::nullopt;
  std::string cmd = "\"" + py + "\" -c \"import " + modules + "\" >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  return py;
}

int run_command(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace focal::test
