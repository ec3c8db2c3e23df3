#include "train/output/output_dir.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace focal::train {

std::filesystem::path run_directory(const std::string& output_root, const std::string& model_name,
                                    const std::string& tag) {
  if (model_name.empty()) throw std::invalid_argument("MODEL.NAME is empty: it names the run folder");
  std::filesystem::path root = output_root.empty() ? std::string("output") : output_root;
  return root / model_name / (tag.empty() ? "default" : tag);
}

std::vector<std::filesystem::path> prepare_output_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    throw std::runtime_error("output folder " + dir.string() + " exists but is not a folder");
  }
  std::vector<std::filesystem::path> created;
  for (auto p = dir; !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
    created.push_back(p);
    if (p == p.parent_path()) break;
  }
  std::reverse(created.begin(), created.end());
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw std::runtime_error("output folder " + dir.string() + " cannot be created: " + ec.message());
  }
  auto probe = dir / (".write_probe." + std::to_string(::getpid()));
  {
    std::ofstream out(probe);
    if (!out || !(out << "ok") || !out.flush()) {
      throw std::runtime_error("output folder " + dir.string() +
                               " is not writable (check its permissions or --output)");
    }
  }
  std::filesystem::remove(probe, ec);
  // Writable but not listable (mode -wx): a restart could not find the temporaries a killed write left.
  std::filesystem::directory_iterator listing(dir, ec);
  if (ec) {
    throw std::runtime_error("output folder " + dir.string() + " cannot be read: " + ec.message() +
                             " (check its permissions or --output)");
  }
  return created;
}

bool remove_created_dirs(const std::vector<std::filesystem::path>& created,
                         const std::vector<std::string>& own_files) {
  if (created.empty()) return false;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(created.back(), ec)) {
    const auto name = entry.path().filename().string();
    if (std::find(own_files.begin(), own_files.end(), name) == own_files.end()) return false;
  }
  if (ec) return false;
  for (const auto& name : own_files) std::filesystem::remove(created.back() / name, ec);
  bool innermost_removed = false;
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    if (!std::filesystem::is_directory(*it, ec) || !std::filesystem::is_empty(*it, ec)) break;
    if (!std::filesystem::remove(*it, ec)) break;
    innermost_removed = innermost_removed || it == created.rbegin();
  }
  return innermost_removed;
}

CreatedDirsGuard::CreatedDirsGuard(std::vector<std::filesystem::path> created,
                                   std::vector<std::string> own_files)
    : created_(std::move(created)),
      own_files_(std::move(own_files)),
      exceptions_at_start_(std::uncaught_exceptions()) {}

CreatedDirsGuard::~CreatedDirsGuard() {
  if (std::uncaught_exceptions() <= exceptions_at_start_) return;
  try {
    remove_created_dirs(created_, own_files_);
  } catch (...) {  // never a second exception while unwinding
  }
}

std::vector<std::string> remove_stale_temporaries(const std::filesystem::path& dir) {
  std::vector<std::string> removed;
  const std::string own_pid = std::to_string(::getpid());
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // "<name>.tmp<pid>" (focal/io/atomic_write.h), "<name>.tmp.<pid>" (Config::save) or
    // "<name>.tmp<pid>.png" (the training plot: imwrite picks its encoder from the extension).
    const size_t at = name.rfind(".tmp");
    if (at == std::string::npos) continue;
    const size_t digits = name.size() > at + 4 && name[at + 4] == '.' ? at + 5 : at + 4;
    size_t digits_end = name.find_first_not_of("0123456789", digits);
    if (digits_end == std::string::npos) digits_end = name.size();
    const std::string suffix = name.substr(digits_end);
    const bool known_suffix = suffix.empty() || suffix == ".png";
    if (digits_end == digits || !known_suffix || it->is_directory(ec) ||
        name.substr(digits, digits_end - digits) == own_pid) {  // this process's own: not stale
      continue;
    }
    std::error_code rm;
    if (std::filesystem::remove(it->path(), rm)) removed.push_back(name);
  }
  return removed;
}

}  // namespace focal::train
