#include "train/checkpoint/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace focal::train {

std::filesystem::path temporary_sibling(const std::filesystem::path& path) {
  auto tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  return tmp;
}

void replace_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) {
    std::filesystem::remove(from, ec);
    throw std::runtime_error("cannot move " + from.string() + " to " + to.string() + ": " + ec.message());
  }
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  auto tmp = temporary_sibling(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw std::runtime_error(path.string() + ": cannot be written (opening " + tmp.string() + " failed)");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) throw std::runtime_error(path.string() + ": writing failed (disk full?)");
  }
  replace_file(tmp, path);
}

}  // namespace focal::train
