#include "tests/fuzz/fuzz_support.h"

#include <ftw.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>

namespace focal::fuzz {
namespace {

// Removes the scratch folder when the process ends normally.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    // tmpfs where there is one: targets write their inputs to files for every execution.
    std::error_code ec;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
    std::string templ = (base / "focal-fuzz-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) finding("cannot create a scratch folder under " + base.string());
    path = templ;
  }
  // POSIX calls only: at exit, std::filesystem may bind to a copy inside LibTorch that is already gone.
  ~ScratchDir() {
    ::nftw(
        path.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
};

}  // namespace

const std::filesystem::path& scratch_dir() {
  static const ScratchDir dir;
  return dir.path;
}

void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) finding("cannot write " + path.string());
}

size_t split_parts(std::string_view input, std::string_view* parts, size_t max_parts) {
  constexpr std::string_view kSeparator = "\n--8<--\n";
  size_t n = 0;
  while (n + 1 < max_parts) {
    const size_t at = input.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts[n++] = input.substr(0, at);
    input.remove_prefix(at + kSeparator.size());
  }
  parts[n++] = input;
  return n;
}

void finding(const std::string& message) {
  std::fprintf(stderr, "fuzz finding: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

void expect_named(const std::exception& e, const std::string& source) {
  const std::string what = e.what();
  if (what.find(source) == std::string::npos) {
    finding("error message does not name '" + source + "': " + what);
  }
}

}  // namespace focal::fuzz
