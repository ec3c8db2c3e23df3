#pragma once
// Files that appear whole or not at all, for checkpoints and run outputs: the bytes go to a temporary file
// next to the target, are flushed to the disk (fsync), and the file is renamed over the target; the
// folder is synced too, so that a crash or power loss leaves either the old or the new file. Errors name
// the target file and say what happened in words ("the disk is full"); the temporary file never stays.
#include <cstddef>
#include <filesystem>
#include <string>

namespace focal::io {

// "<path>.tmp<pid>": unique to this process, in the target's folder (rename stays within a filesystem).
std::filesystem::path temporary_sibling(const std::filesystem::path& path);

// Writes a file through its temporary sibling. write() may be called many times; commit() publishes the
// file. Destroyed without commit() (an exception on the way), it removes the temporary file.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Throws std::runtime_error on the first failure (after removing the temporary file).
  void write(const void* data, size_t size);
  void commit();
  const std::filesystem::path& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& doing, int error);
  std::filesystem::path path_, tmp_;
  int fd_ = -1;
};

// The words for an errno of a failed write, e.g. "the disk is full (No space left on device)".
std::string write_error_text(int error);

// `to` becomes a copy of `from` (replacing it atomically): a hard link where the filesystem allows (no
// extra disk space: the run's last/best/epoch checkpoints are then one file), else a copied file.
// `allow_link` false always copies.
void link_or_copy_file(const std::filesystem::path& from, const std::filesystem::path& to,
                       bool allow_link = true);

}  // namespace focal::io
