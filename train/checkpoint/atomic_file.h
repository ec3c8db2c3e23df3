#pragma once
// Writing a file so that it appears whole or not at all: the content goes to a temporary file next to the
// target, which is then renamed over it.
#include <filesystem>
#include <string>

namespace focal::train {

// `path` with a ".tmp" suffix unique to this process, in the same folder (rename stays within a filesystem).
std::filesystem::path temporary_sibling(const std::filesystem::path& path);
void write_file_atomically(const std::filesystem::path& path, const std::string& content);
// Renames `from` onto `to`; throws naming both when that fails.
void replace_file(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace focal::train
