#pragma once
// Shared pieces of the fuzz targets (tests/fuzz/README.md). Each target is one LLVMFuzzerTestOneInput;
// libFuzzer drives it in the fuzz build, replay_main.cpp drives it over the committed corpus and regression
// inputs in the ordinary test suite.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace focal::fuzz {

// A folder private to this process (created on first use, removed at exit).
const std::filesystem::path& scratch_dir();
// Writes `bytes` to `path` (replacing it); aborts when the scratch folder cannot be written.
void write_bytes(const std::filesystem::path& path, std::string_view bytes);

// Splits an input into parts at the separator line "\n--8<--\n" (at most `max_parts`; the last part holds
// the rest). Lets one fuzz input carry several files (a config and its BASE, images and labels).
size_t split_parts(std::string_view input, std::string_view* parts, size_t max_parts);

// Aborts with `message` (a finding: libFuzzer saves the input). Used when an error is of the wrong kind
// or does not name the file it is about.
[[noreturn]] void finding(const std::string& message);

// The error names `source`: every reader promises messages that name the file.
void expect_named(const std::exception& e, const std::string& source);

}  // namespace focal::fuzz
