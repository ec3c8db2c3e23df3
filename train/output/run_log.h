#pragma once
// The run's log: console and <run folder>/log.txt (spdlog file sink) on rank 0; other ranks print warnings
// and errors only, to the console. Messages arrive formatted (see text_format.h): spdlog lives behind this
// interface in a library compiled without LibTorch's include path, because LibTorch bundles a newer {fmt}
// than the one Debian's spdlog was built against.
#include <filesystem>
#include <memory>
#include <string>

namespace focal::train {

class RunLog {
 public:
  // `log_file` empty: console only. `verbose` false keeps warnings and errors only.
  RunLog(const std::filesystem::path& log_file, bool console, bool verbose);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  void info(const std::string& message);
  void warn(const std::string& message);
  void error(const std::string& message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace focal::train
