#pragma once
// Helpers shared by the data tests: the bench photographs, running Python reference scripts, raw arrays.
#include "data/decode/image.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace focal::test {

// The ImageNet-like JPEG corpus (../shared/bench/imagenet-like-jpeg/train), when present.
std::optional<std::filesystem::path> bench_jpeg_root();
// The first `n` bench JPEGs in sorted order (empty when the corpus is absent).
std::vector<std::filesystem::path> bench_jpegs(size_t n);

// The reference interpreter (FOCAL_PYTHON), found without importing anything heavy.
std::optional<std::string> python_interpreter();
// Writes `script` to a file in `dir` and runs it with `python` after importing `modules`; returns false
// when one of them is missing (the caller skips) and REQUIREs success otherwise. Importing inside the
// script itself avoids paying for a second interpreter start just to probe the modules.
bool run_python(const std::string& python, const std::filesystem::path& dir, const std::string& modules,
                const std::string& script);

std::vector<float> read_floats(const std::filesystem::path& path);
std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

// Pixels of an image file decoded by the library (3 channels).
data::Image load_image(const std::filesystem::path& path, int64_t channels = 3);

// Runs fn with stdout and stderr redirected to a file and returns what was written.
template <typename Fn>
std::string capture_output(Fn&& fn);

std::string capture_output_begin();
std::string capture_output_end(const std::string& token);

template <typename Fn>
std::string capture_output(Fn&& fn) {
  const std::string token = capture_output_begin();
  try {
    fn();
  } catch (...) {
    capture_output_end(token);
    throw;
  }
  return capture_output_end(token);
}

}  // namespace focal::test
