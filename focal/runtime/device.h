#pragma once
// The --device option of every tool: "cpu", "cuda" or "cuda:N", checked against what LibTorch sees before
// anything is built, so that a missing GPU is one plain sentence instead of a LibTorch backtrace.
#include <c10/core/Device.h>

#include <string>

namespace focal {

// Throws std::invalid_argument naming `option` and the value, e.g.
// "--device cuda: LibTorch sees no CUDA device".
c10::Device parse_device(const std::string& text, const std::string& option = "--device");

}  // namespace focal
