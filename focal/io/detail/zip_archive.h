#pragma once
// A read-only view of a zip archive in memory (torch.save's container): the central directory (zip64
// included) is parsed and checked against the buffer; records must be stored uncompressed, as torch.save
// writes them.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace focal::io::detail {

struct ZipEntry {
  std::string name;
  uint64_t local_header_offset = 0;
  uint64_t size = 0;
  uint16_t method = 0;
  uint16_t flags = 0;
};

class ZipArchive {
 public:
  explicit ZipArchive(std::string_view file);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // The stored bytes of a record, checked to lie inside the file.
  std::string_view contents(const ZipEntry& entry) const;

 private:
  std::string_view file_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace focal::io::detail
