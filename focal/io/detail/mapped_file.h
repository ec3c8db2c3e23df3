#pragma once
// A whole file mapped read-only into memory: checkpoints are parsed in place and storages copied straight
// from the mapping, so a file is never held twice.
#include <cstddef>
#include <string>
#include <string_view>

namespace focal::io::detail {

class MappedFile {
 public:
  // Throws std::runtime_error naming `path` when it is missing, not a regular file, or cannot be mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace focal::io::detail
