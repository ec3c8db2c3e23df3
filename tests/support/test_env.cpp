#include "tests/support/test_env.h"

#include <sys/wait.h>

#include <cstdlib>
#include <random>

namespace focal::test {

namespace {

std::filesystem::path from_env(const char* name, const char* configured) {
  if (const char* env = std::getenv(name)) return env;
  return configured;
}

}  // namespace

std::filesystem::path fixtures_dir() { return from_env("FOCAL_FIXTURES_DIR", FOCAL_FIXTURES_DIR); }

bool have_fixtures() { return std::filesystem::exists(fixtures_dir() / "focal_micro_224.json"); }

std::filesystem::path bench_dir() { return from_env("FOCAL_BENCH_DIR", FOCAL_BENCH_DIR); }

std::filesystem::path fashion_mnist_dir() {
  return from_env("FOCAL_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist");
}

bool have_fashion_mnist() {
  return std::filesystem::exists(fashion_mnist_dir() / "train-images-idx3-ubyte.gz") &&
         std::filesystem::exists(fashion_mnist_dir() / "t10k-images-idx3-ubyte.gz");
}

std::filesystem::path temp_dir(const std::string& name) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             ("focal_test_" + name + "_" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

std::filesystem::path python_path() { return from_env("FOCAL_PYTHON", FOCAL_PYTHON); }

std::optional<std::string> reference_python(const std::string& modules) {
  const std::string py = python_path().string();
  if (py.empty() || !std::filesystem::exists(py)) return std::nullopt;
  std::string cmd = "\"" + py + "\" -c \"import " + modules + "\" >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  return py;
}

int run_command(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool references_required() {
  const char* env = std::getenv("FOCAL_REQUIRE_REFERENCES");
  return env != nullptr && std::string(env) == "1";
}

void SkipLog::begin_test_case(const std::string& name) {
  current_ = name;
  assertions_ = 0;
}

std::string SkipLog::record(bool missing_reference, const std::string& reason) {
  if (missing_reference && references_required()) {
    return "missing reference, and FOCAL_REQUIRE_REFERENCES=1 forbids skipping: " + reason;
  }
  if (assertions_ > 0) {
    return "skip after " + std::to_string(assertions_) +
           " assertions already ran (split the test so that the part that cannot run is its own test "
           "case): " +
           reason;
  }
  for (const auto& s : skips_) {
    if (s.test_case == current_) return "";  // a test case with sections runs its body more than once
  }
  skips_.push_back({current_, reason});
  return "";
}

SkipLog& skip_log() {
  static SkipLog log;
  return log;
}

}  // namespace focal::test
