#pragma once
// Where the tests find their inputs, and how a test says that it could not run. Paths come from the build
// (see tests/CMakeLists.txt); each can be overridden at run time by the environment variable of the same
// name (FOCAL_FIXTURES_DIR, FOCAL_BENCH_DIR, FOCAL_PYTHON, FOCAL_FASHION_MNIST_DIR), which is also how a
// run without the references is checked.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace focal::test {

// ../shared/fixtures/focal next to the checkout, or the folder the build was pointed at.
std::filesystem::path fixtures_dir();
// True when the fixture folder holds the fixtures; otherwise the caller skips with FOCAL_SKIP_MISSING.
bool have_fixtures();
// ../shared/bench next to the checkout.
std::filesystem::path bench_dir();
// The Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
std::filesystem::path fashion_mnist_dir();
bool have_fashion_mnist();
// A fresh empty temporary folder, removed by nobody (the OS cleans /tmp); named after the test.
std::filesystem::path temp_dir(const std::string& name);
// The configured reference interpreter (FOCAL_PYTHON), whether or not it exists.
std::filesystem::path python_path();
// The Python interpreter with torch/torchvision/Pillow/timm, when it exists and imports `modules`.
std::optional<std::string> reference_python(const std::string& modules = "torch");
// Runs a shell command, returns its exit status.
int run_command(const std::string& command);

// FOCAL_REQUIRE_REFERENCES=1 (CI): a missing fixture, Python package or corpus fails the test instead of
// skipping it, so that a run on an empty reference set cannot pass.
bool references_required();

// The skips of this test process. catch_main.cpp reports them and exits with CTest's skip code (77) when
// every test case it ran skipped; CTest runs one test case per process, so each shows as "Skipped".
struct Skip {
  std::string test_case;
  std::string reason;
};
class SkipLog {
 public:
  void begin_test_case(const std::string& name);
  void count_assertion() { ++assertions_; }
  // Empty when the skip is recorded; otherwise the message the test must fail with instead.
  std::string record(bool missing_reference, const std::string& reason);
  const std::vector<Skip>& skips() const { return skips_; }

 private:
  std::string current_;
  int64_t assertions_ = 0;
  std::vector<Skip> skips_;
};
// The one log of the process (test cases run one after another on the main thread).
SkipLog& skip_log();

}  // namespace focal::test

// Ends the current test case as skipped. Catch2 v2 has no SKIP: the reason is recorded and printed, and the
// test returns. A skip after assertions already ran is a failure: such a test must be split so that the part
// that cannot run is its own test case. Use at the top of a TEST_CASE body, outside SECTIONs.
#define FOCAL_SKIP_IMPL_(missing_reference, reason)                                  \
  do {                                                                               \
    std::ostringstream focal_skip_reason_;                                           \
    focal_skip_reason_ << reason;                                                    \
    const std::string focal_skip_error_ =                                            \
        focal::test::skip_log().record(missing_reference, focal_skip_reason_.str()); \
    if (!focal_skip_error_.empty()) FAIL(focal_skip_error_);                         \
    WARN("skipped: " << focal_skip_reason_.str());                                   \
    return;                                                                          \
  } while (0)

// A skip for another reason than a missing reference (no CUDA device, a slow test not asked for).
#define FOCAL_SKIP(reason) FOCAL_SKIP_IMPL_(false, reason)
// A skip because a fixture, a Python package or a corpus is absent; a failure under FOCAL_REQUIRE_REFERENCES.
#define FOCAL_SKIP_MISSING(reason) FOCAL_SKIP_IMPL_(true, reason)
