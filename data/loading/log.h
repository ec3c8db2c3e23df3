#pragma once
// Logging for the data pipeline through spdlog. Kept in its own library (log.cpp is compiled without
// LibTorch's include path): LibTorch bundles a newer {fmt} than the one Debian's spdlog 1.10 was built
// against, and spdlog's headers would pick LibTorch's copy.
#include <string>

namespace focal::data {

void log_warning(const std::string& message);
void log_info(const std::string& message);

}  // namespace focal::data
