#include "data/datasets/tar_file.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace focal::data {
namespace {

constexpr int64_t kBlock = 512;

int64_t parse_octal(const char* field, size_t n, bool* ok) {
  int64_t v = 0;
  size_t i = 0;
  while (i < n && (field[i] == ' ' || field[i] == '\0')) ++i;
  bool any = false;
  for (; i < n && field[i] >= '0' && field[i] <= '7'; ++i) {
    v = v * 8 + (field[i] - '0');
    any = true;
  }
  for (; i < n; ++i) {
    if (field[i] != ' ' && field[i] != '\0') *ok = false;
  }
  if (!any) v = 0;
  return v;
}

std::string field_string(const char* field, size_t n) { return std::string(field, strnlen(field, n)); }

int64_t padded(int64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

}  // namespace

TarReader::TarReader(const std::filesystem::path& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) throw std::runtime_error(path.string() + ": cannot open: " + std::strerror(errno));
  std::error_code ec;
  file_size_ = static_cast<int64_t>(std::filesystem::file_size(path, ec));
}

TarReader::~TarReader() {
  if (file_ != nullptr) std::fclose(file_);
}

std::string TarReader::read_exact(int64_t n) {
  std::string out(static_cast<size_t>(n), '\0');
  if (n > 0 && std::fread(out.data(), 1, static_cast<size_t>(n), file_) != static_cast<size_t>(n)) {
    throw std::runtime_error(path_.string() + ": truncated tar archive at byte " + std::to_string(pos_));
  }
  pos_ += n;
  return out;
}

void TarReader::seek(int64_t pos) {
  if (std::fseek(file_, pos, SEEK_SET) != 0) {
    throw std::runtime_error(path_.string() + ": cannot seek to byte " + std::to_string(pos));
  }
  pos_ = pos;
}

bool TarReader::next(TarMember& member) {
  if (pos_ != member_end_) seek(member_end_);
  std::string long_name;
  for (;;) {
    if (pos_ + kBlock > file_size_) {
      if (pos_ == file_size_) return false;  // archive without end blocks
      throw std::runtime_error(path_.string() + ": truncated tar header at byte " + std::to_string(pos_));
    }
    const std::string header = read_exact(kBlock);
    if (header.find_first_not_of('\0') == std::string::npos) return false;  // end-of-archive block
    const char* h = header.data();
    bool ok = true;
    const int64_t size = parse_octal(h + 124, 12, &ok);
    const int64_t checksum = parse_octal(h + 148, 8, &ok);
    int64_t sum = 0;
    for (int i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    if (!ok || sum != checksum) {
      throw std::runtime_error(path_.string() + ": corrupt tar header at byte " +
                               std::to_string(pos_ - kBlock));
    }
    if (pos_ + padded(size) > file_size_) {
      throw std::runtime_error(path_.string() + ": tar member at byte " + std::to_string(pos_) +
                               " runs past the end");
    }
    const char type = h[156];
    if (type == 'L') {  // GNU long name: the next header's name is this member's contents
      long_name = read_exact(padded(size)).substr(0, static_cast<size_t>(size));
      long_name = long_name.c_str();
      continue;
    }
    if (type != '0' && type != '\0') {  // directories, links, pax headers: skipped
      seek(pos_ + padded(size));
      long_name.clear();
      continue;
    }
    std::string name = field_string(h, 100);
    if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != '\0')
      name = field_string(h + 345, 155) + "/" + name;
    current_.name = long_name.empty() ? name : long_name;
    current_.offset = pos_;
    current_.size = size;
    member_end_ = pos_ + padded(size);
    member = current_;
    return true;
  }
}

std::string TarReader::read_contents() {
  if (pos_ != current_.offset) seek(current_.offset);
  return read_exact(current_.size);
}

TarWriter::TarWriter(const std::filesystem::path& path) : path_(path), temp_path_(path.string() + ".tmp") {
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (file_ == nullptr)
    throw std::runtime_error(temp_path_.string() + ": cannot create: " + std::strerror(errno));
}

TarWriter::~TarWriter() {
  if (file_ != nullptr) {  // not finished: leave no partial archive behind
    std::fclose(file_);
    std::error_code ec;
    std::filesystem::remove(temp_path_, ec);
  }
}

void TarWriter::write(const void* data, size_t n) {
  if (n > 0 && std::fwrite(data, 1, n, file_) != n) {
    throw std::runtime_error(temp_path_.string() + ": write failed: " + std::strerror(errno));
  }
}

void TarWriter::add(const std::string& name, const std::string& contents) {
  if (name.empty() || name.size() > 100) {
    throw std::invalid_argument("tar: member name '" + name + "' must have 1 to 100 characters");
  }
  char h[kBlock] = {};
  std::memcpy(h, name.data(), name.size());
  std::snprintf(h + 100, 8, "%07o", 0644);
  std::snprintf(h + 108, 8, "%07o", 0);
  std::snprintf(h + 116, 8, "%07o", 0);
  std::snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(contents.size()));
  std::snprintf(h + 136, 12, "%011o", 0);
  h[156] = '0';
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  write(h, kBlock);
  write(contents.data(), contents.size());
  const std::vector<char> pad(static_cast<size_t>(padded(static_cast<int64_t>(contents.size())) -
                                                  static_cast<int64_t>(contents.size())),
                              0);
  write(pad.data(), pad.size());
}

void TarWriter::finish() {
  const std::vector<char> end(2 * kBlock, 0);
  write(end.data(), end.size());
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!closed) throw std::runtime_error(temp_path_.string() + ": cannot close: " + std::strerror(errno));
  std::filesystem::rename(temp_path_, path_);
}

}  // namespace focal::data
