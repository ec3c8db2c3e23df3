#include "focal/io/atomic_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace focal::io {
namespace fs = std::filesystem;
namespace {

void sync_folder(const fs::path& file) {
  // Makes the rename itself durable; a folder that cannot be opened (or synced) costs only durability.
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

fs::path temporary_sibling(const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  return tmp;
}

std::string write_error_text(int error) {
  const std::string text = std::strerror(error);
  switch (error) {
    case ENOSPC:
      return "the disk is full (" + text + ")";
    case EDQUOT:
      return "the disk quota is exhausted (" + text + ")";
    case EFBIG:
      return "the file exceeds the size allowed (" + text + ")";
    case ENOENT:
      return "its folder no longer exists (" + text + ")";
    case EACCES:
    case EPERM:
    case EROFS:
      return "writing is not permitted (" + text + ")";
    default:
      return text;
  }
}

AtomicFileWriter::AtomicFileWriter(fs::path path) : path_(std::move(path)), tmp_(temporary_sibling(path_)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int error = errno;
    throw std::runtime_error(path_.string() + ": cannot be written: " + write_error_text(error) +
                             " (creating " + tmp_.string() + ")");
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFileWriter::fail(const std::string& doing, int error) {
  ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
  throw std::runtime_error(path_.string() + ": " + doing + " failed: " + write_error_text(error) +
                           "; the previous " + path_.filename().string() + " (if any) is unchanged");
}

void AtomicFileWriter::write(const void* data, size_t size) {
  if (fd_ < 0) throw std::logic_error("AtomicFileWriter::write after commit");
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("writing", errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  if (fd_ < 0) throw std::logic_error("AtomicFileWriter::commit twice");
  // Delayed allocation can report a full disk only here (fsync or close), not at write().
  if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) fail("flushing to disk", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && errno != EINTR) {
    const int error = errno;
    ::unlink(tmp_.c_str());
    throw std::runtime_error(path_.string() + ": closing failed: " + write_error_text(error));
  }
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp_.c_str());
    throw std::runtime_error(path_.string() + ": cannot move " + tmp_.string() +
                             " into place: " + write_error_text(error));
  }
  sync_folder(path_);
}

void link_or_copy_file(const fs::path& from, const fs::path& to, bool allow_link) {
  const fs::path tmp = temporary_sibling(to);
  if (allow_link && ::link(from.c_str(), tmp.c_str()) == 0) {
    if (::rename(tmp.c_str(), to.c_str()) != 0) {
      const int error = errno;
      ::unlink(tmp.c_str());
      throw std::runtime_error(to.string() + ": cannot move " + tmp.string() +
                               " into place: " + write_error_text(error));
    }
    sync_folder(to);
    return;
  }
  // No hard links here (another filesystem, FAT, a leftover temporary name): copy the bytes.
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    const int error = errno;
    throw std::runtime_error(to.string() + ": cannot copy from " + from.string() + ": " +
                             write_error_text(error));
  }
  try {
    AtomicFileWriter out(to);
    std::vector<char> buffer(1 << 20);
    for (;;) {
      const ssize_t n = ::read(in, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        throw std::runtime_error(to.string() + ": cannot copy from " + from.string() + ": " +
                                 std::strerror(error));
      }
      if (n == 0) break;
      out.write(buffer.data(), static_cast<size_t>(n));
    }
    out.commit();
  } catch (...) {
    ::close(in);
    throw;
  }
  ::close(in);
}

}  // namespace focal::io
