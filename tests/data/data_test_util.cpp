#include "tests/data/data_test_util.h"

#include "data/datasets/file_io.h"
#include "data/decode/image_decoder.h"
#include "tests/support/test_env.h"

#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace focal::test {
namespace fs = std::filesystem;

std::optional<fs::path> bench_jpeg_root() {
  const fs::path root = bench_dir() / "imagenet-like-jpeg" / "train";
  if (fs::is_directory(root)) return root;
  return std::nullopt;
}

std::vector<fs::path> bench_jpegs(size_t n) {
  std::vector<fs::path> files;
  const auto root = bench_jpeg_root();
  if (!root) return files;
  for (const auto& e : fs::recursive_directory_iterator(*root)) {
    if (e.is_regular_file() && e.path().extension() == ".jpg") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > n) files.resize(n);
  return files;
}

std::optional<std::string> python_interpreter() { return reference_python("sys"); }

bool run_python(const std::string& python, const fs::path& dir, const std::string& modules,
                const std::string& script) {
  const fs::path file = dir / "reference.py";
  {
    std::ofstream f(file);
    f << "import sys\ntry:\n    import " << modules << "\nexcept ImportError:\n    sys.exit(77)\n" << script;
  }
  const std::string cmd =
      "\"" + python + "\" \"" + file.string() + "\" > \"" + (dir / "reference.log").string() + "\" 2>&1";
  const int rc = run_command(cmd);
  if (rc == 77) return false;
  if (rc != 0) {
    std::ifstream log(dir / "reference.log");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    FAIL("python reference failed (" << rc << "):\n" << text);
  }
  return true;
}

std::vector<float> read_floats(const fs::path& path) {
  const std::string bytes = data::read_file(path);
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  const std::string bytes = data::read_file(path);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

data::Image load_image(const fs::path& path, int64_t channels) {
  const std::string bytes = data::read_file(path);
  data::ImageDecoder decoder;
  return decoder.decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), channels);
}

std::string capture_output_begin() {
  std::fflush(stdout);
  std::fflush(stderr);
  char name[] = "/tmp/focal_capture_XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  const int saved_out = dup(1), saved_err = dup(2);
  dup2(fd, 1);
  dup2(fd, 2);
  close(fd);
  return std::string(name) + "|" + std::to_string(saved_out) + "|" + std::to_string(saved_err);
}

std::string capture_output_end(const std::string& token) {
  std::fflush(stdout);
  std::fflush(stderr);
  const size_t a = token.find('|'), b = token.rfind('|');
  const std::string name = token.substr(0, a);
  const int saved_out = std::stoi(token.substr(a + 1, b - a - 1)), saved_err = std::stoi(token.substr(b + 1));
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  std::ifstream f(name);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::remove(name.c_str());
  return text;
}

}  // namespace focal::test
