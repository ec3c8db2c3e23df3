#include "train/checkpoint/atomic_file.h"

#include <stdexcept>
#include <system_error>

namespace focal::train {

void replace_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(from, ignored);
    throw std::runtime_error("cannot move " + from.string() + " to " + to.string() + ": " +
                             io::write_error_text(ec.value()));
  }
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  io::AtomicFileWriter out(path);
  out.write(content.data(), content.size());
  out.commit();
}

}  // namespace focal::train
