#include "focal/io/detail/zip_archive.h"

#include "focal/io/detail/byte_cursor.h"
#include "focal/io/detail/format_error.h"

namespace focal::io::detail {
namespace {

// Zip signatures and fixed record sizes (PKWARE APPNOTE 4.3).
constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kMaxCommentSize = 0xFFFF;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kEncryptedFlag = 0x0001;
constexpr uint32_t kUnset32 = 0xFFFFFFFF;

uint32_t u32_at(std::string_view file, size_t pos) {
  ByteCursor c(file, pos);
  return c.u32le();
}

// The end-of-central-directory record: the last signature whose comment length fits the file.
size_t find_end_record(std::string_view file) {
  if (file.size() < kEndSize) throw FormatError("too short to be a zip archive");
  const size_t lowest =
      file.size() - kEndSize > kMaxCommentSize ? file.size() - kEndSize - kMaxCommentSize : 0;
  for (size_t pos = file.size() - kEndSize + 1; pos-- > lowest;) {
    if (u32_at(file, pos) != kEndSig) continue;
    ByteCursor c(file, pos + kEndSize - 2);
    if (pos + kEndSize + c.u16le() == file.size()) return pos;
  }
  throw FormatError("no zip end-of-central-directory record (truncated or not a zip archive)");
}

struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

Directory read_directory_location(std::string_view file) {
  const size_t end = find_end_record(file);
  ByteCursor c(file, end + 4);
  c.take(6);  // disk numbers, entries on this disk
  Directory dir;
  dir.entries = c.u16le();
  dir.size = c.u32le();
  dir.offset = c.u32le();
  // A zip64 locator right before the end record points at the authoritative 64-bit values.
  if (end >= kZip64LocatorSize && u32_at(file, end - kZip64LocatorSize) == kZip64LocatorSig) {
    ByteCursor loc(file, end - kZip64LocatorSize + 8);
    ByteCursor z(file);
    z.seek(loc.u64le());
    if (z.u32le() != kZip64EndSig) throw FormatError("zip64 end-of-central-directory record is missing");
    z.take(8 + 2 + 2 + 4 + 4 + 8);  // record size, versions, disk numbers, entries on this disk
    dir.entries = z.u64le();
    dir.size = z.u64le();
    dir.offset = z.u64le();
  }
  if (dir.offset > file.size() || dir.size > file.size() - dir.offset) {
    throw FormatError("zip central directory lies outside the file");
  }
  return dir;
}

}  // namespace

ZipArchive::ZipArchive(std::string_view file) : file_(file) {
  const Directory dir = read_directory_location(file);
  ByteCursor c(file.substr(0, static_cast<size_t>(dir.offset + dir.size)), static_cast<size_t>(dir.offset));
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (c.u32le() != kCentralHeaderSig)
      throw FormatError("zip central directory entry " + std::to_string(i) + " is corrupt");
    c.take(4);  // versions
    ZipEntry e;
    e.flags = c.u16le();
    e.method = c.u16le();
    c.take(8);  // time, date, crc
    uint64_t compressed = c.u32le();
    e.size = c.u32le();
    const uint16_t name_len = c.u16le();
    const uint16_t extra_len = c.u16le();
    const uint16_t comment_len = c.u16le();
    c.take(8);  // disk, attributes
    e.local_header_offset = c.u32le();
    e.name = std::string(c.take(name_len));
    ByteCursor extra(c.take(extra_len));
    c.take(comment_len);
    while (extra.remaining() >= 4) {
      const uint16_t id = extra.u16le();
      ByteCursor field(extra.take(extra.u16le()));
      if (id != kZip64ExtraId) continue;
      if (e.size == kUnset32) e.size = field.u64le();
      if (compressed == kUnset32) compressed = field.u64le();
      if (e.local_header_offset == kUnset32) e.local_header_offset = field.u64le();
    }
    if (e.method == 0 && compressed != e.size)
      throw FormatError("zip record '" + e.name + "' has inconsistent sizes");
    index_.emplace(e.name, entries_.size());
    entries_.push_back(std::move(e));
  }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string_view ZipArchive::contents(const ZipEntry& entry) const {
  if (entry.flags & kEncryptedFlag) throw FormatError("zip record '" + entry.name + "' is encrypted");
  if (entry.method != 0) {
    throw FormatError("zip record '" + entry.name + "' is compressed (method " +
                      std::to_string(entry.method) + "); torch.save stores records uncompressed");
  }
  ByteCursor c(file_);
  c.seek(entry.local_header_offset);
  if (c.u32le() != kLocalHeaderSig) throw FormatError("zip local header of '" + entry.name + "' is corrupt");
  c.take(kLocalHeaderSize - 4 - 4);  // up to the name and extra lengths
  const uint16_t name_len = c.u16le();
  const uint16_t extra_len = c.u16le();
  c.take(static_cast<uint64_t>(name_len) + extra_len);
  if (entry.size > c.remaining()) {
    throw FormatError("zip record '" + entry.name + "' (" + std::to_string(entry.size) +
                      " bytes) runs past the end of the file");
  }
  return c.take(entry.size);
}

}  // namespace focal::io::detail
