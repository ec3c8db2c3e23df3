#pragma once
// Whole-file and ranged reads with errors that name the file.
#include <cstdint>
#include <filesystem>
#include <string>

namespace focal::data {

// Throws std::runtime_error("<path>: <reason>") when the file cannot be read.
std::string read_file(const std::filesystem::path& path);
// `size` bytes at `offset` of an open file descriptor (pread: safe from several threads).
std::string read_range(int fd, int64_t offset, int64_t size, const std::string& name);

}  // namespace focal::data
