#pragma once
// Where the tests find their inputs. Paths come from the build (see tests/CMakeLists.txt).
#include <filesystem>
#include <optional>
#include <string>

namespace focal::test {

// ../shared/fixtures/focal next to the checkout, or the folder the build was pointed at.
std::filesystem::path fixtures_dir();
// True when the fixture folder exists; otherwise the caller should SKIP with the returned message.
bool have_fixtures();
// ../shared/bench next to the checkout.
std::filesystem::path bench_dir();
// A fresh empty temporary folder, removed by nobody (the OS cleans /tmp); named after the test.
std::filesystem::path temp_dir(const std::string& name);
// The Python interpreter with torch/torchvision/Pillow/timm, when it exists and imports them.
std::optional<std::string> reference_python(const std::string& modules = "torch");
// Runs a shell command, returns its exit status.
int run_command(const std::string& command);

}  // namespace focal::test

// Marks the current test as skipped with a reason, in a way that shows in the CTest log. Catch2 v2 has no
// SKIP, so the test returns early after a WARN; the reason is always printed.
#define FOCAL_SKIP(reason)       \
  do {                           \
    WARN("skipped: " << reason); \
    return;                      \
  } while (0)
