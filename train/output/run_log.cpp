#include "train/output/run_log.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <vector>

namespace focal::train {

struct RunLog::Impl {
  std::shared_ptr<spdlog::logger> logger;
};

RunLog::RunLog(const std::filesystem::path& log_file, bool console, bool verbose)
    : impl_(std::make_unique<Impl>()) {
  std::vector<spdlog::sink_ptr> sinks;
  if (console) sinks.push_back(std::make_shared<spdlog::sinks::stdout_color_sink_mt>());
  // Appends, so that a resumed run continues the same log.
  if (!log_file.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file.string(), false));
  // Not registered in spdlog's global registry: several runs (tests) may live in one process.
  impl_->logger = std::make_shared<spdlog::logger>("focal-train", sinks.begin(), sinks.end());
  impl_->logger->set_pattern("[%Y-%m-%d %H:%M:%S] %^%l%$ %v");
  impl_->logger->set_level(verbose ? spdlog::level::info : spdlog::level::warn);
  impl_->logger->flush_on(spdlog::level::info);
}

RunLog::~RunLog() = default;

void RunLog::info(const std::string& message) { impl_->logger->info("{}", message); }
void RunLog::warn(const std::string& message) { impl_->logger->warn("{}", message); }
void RunLog::error(const std::string& message) { impl_->logger->error("{}", message); }

}  // namespace focal::train
