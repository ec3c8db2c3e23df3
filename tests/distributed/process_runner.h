#pragma once
// Child processes for the data-parallel tests: a command with extra environment variables, its output in a
// file, and a bounded wait. Every child is killed when its handle goes out of scope, so a failing test never
// leaves processes behind.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace focal::test {

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::filesystem::path& output);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;

  int pid() const { return pid_; }
  // The exit status (128 + signal when killed by one), or nullopt when still running after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  void signal(int sig) const;
  std::string output() const;  // what the process wrote to stdout and stderr so far

 private:
  int pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path output_;
};

// The path of an executable of the build (bin/focal-train) and of the project's Python tools.
std::filesystem::path focal_train_binary();
std::filesystem::path venv_binary(const std::string& name);

// Waits until `path` exists and contains `text` (or until the timeout); returns whether it did.
bool wait_for_text(const std::filesystem::path& path, const std::string& text,
                   std::chrono::milliseconds timeout);

}  // namespace focal::test
