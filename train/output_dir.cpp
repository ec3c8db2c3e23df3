#include "train/output_dir.h"

#include <unistd.h>

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

void prepare_output_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    throw std::runtime_error("output folder " + dir.string() + " exists but is not a folder");
  }
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
}

}  // namespace focal::train
