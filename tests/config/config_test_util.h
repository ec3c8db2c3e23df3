#pragma once
// Small helpers shared by the configuration tests.
#include <filesystem>
#include <functional>
#include <string>

namespace focal::test {

// Writes `text` to `path` (creating parent folders) and returns the path as a string.
std::string write_text(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);
// The message of the focal::ConfigError that `action` throws, or "<no error>" (any other exception escapes).
std::string config_error_of(const std::function<void()>& action);
// The repository's configs/ folder.
std::filesystem::path configs_dir();

}  // namespace focal::test
