#pragma once
// Helpers of the focal_io tests: the canonical text of a value (the grammar of python/canonical.py, written
// again here so that the two sides are independent), tensor manifests, and the Python reference data.
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace focal::test {

// Sum of (position + 1) * byte modulo 2^64 over the tensor's logical values, little-endian and contiguous.
uint64_t checksum(const at::Tensor& tensor);
std::string canonical(const c10::IValue& value);

struct ManifestRow {
  std::string path;  // dict keys / list indices joined by '/'
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
  int64_t offset = 0;
  int group = 0;  // rows with one group share a storage
  uint64_t checksum = 0;
};
std::vector<ManifestRow> read_manifest(const std::filesystem::path& path);
// The value at a manifest path (string keys, int keys and list indices).
c10::IValue value_at(const c10::IValue& root, const std::string& path);
// Checks every row (dtype, shape, stride, offset, checksum) and that tensors share storages exactly as the
// rows' groups say. Uses Catch assertions.
void check_manifest(const c10::IValue& root, const std::filesystem::path& manifest);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& bytes);

// The Python interpreter with torch and numpy, or nullopt.
std::optional<std::string> python();
// The reference data written by python/make_reference.py (cached in the build tree), or nullopt without
// Python.
std::optional<std::filesystem::path> reference_data();
// Runs a script of tests/io/python with the reference Python; returns its exit status.
int run_python_script(const std::string& script, const std::string& arguments);

}  // namespace focal::test
