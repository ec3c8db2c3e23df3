#pragma once
// Writing a file so that it appears whole or not at all: the content goes to a temporary file next to the
// target, is flushed to the disk, and is renamed over it (focal/io/atomic_write.h). Errors name the file
// and say why in words ("the disk is full"); no temporary file stays behind.
#include <filesystem>
#include <string>

#include "focal/io/atomic_write.h"

namespace focal::train {

using io::temporary_sibling;  // `path` + ".tmp<pid>", in the same folder
void write_file_atomically(const std::filesystem::path& path, const std::string& content);
// Renames `from` onto `to`; throws naming both when that fails (and removes `from`).
void replace_file(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace focal::train
