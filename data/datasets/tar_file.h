#pragma once
// POSIX (ustar) tar archives, as WebDataset shards use them: a sequential reader that can skip member
// contents, and a writer that creates the archive under a temporary name and renames it when finished.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace focal::data {

struct TarMember {
  std::string name;    // full member path (ustar prefix and GNU long names resolved)
  int64_t offset = 0;  // byte offset of the contents in the archive
  int64_t size = 0;
};

// Streams the regular-file members of an archive in order.
class TarReader {
 public:
  // Throws std::runtime_error when the file cannot be opened.
  explicit TarReader(const std::filesystem::path& path);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // Advances to the next regular file; false at the end of the archive. Throws std::runtime_error
  // (naming the archive and offset) on a corrupt header or a truncated archive.
  bool next(TarMember& member);
  // The current member's bytes (contents not read are skipped by the next call to next()).
  std::string read_contents();

 private:
  std::string read_exact(int64_t n);
  void seek(int64_t pos);
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  int64_t pos_ = 0;
  int64_t file_size_ = 0;
  TarMember current_;
  int64_t member_end_ = 0;  // start of the header after the current member
};

class TarWriter {
 public:
  // Writes to "<path>.tmp"; finish() renames it to `path`.
  explicit TarWriter(const std::filesystem::path& path);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add(const std::string& name, const std::string& contents);
  void finish();

 private:
  void write(const void* data, size_t n);
  std::filesystem::path path_, temp_path_;
  std::FILE* file_ = nullptr;
};

}  // namespace focal::data
