#include "data/loading/log.h"

#include <spdlog/spdlog.h>

namespace focal::data {

void log_warning(const std::string& message) { spdlog::warn("{}", message); }
void log_info(const std::string& message) { spdlog::info("{}", message); }

}  // namespace focal::data
