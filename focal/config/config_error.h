#pragma once
// The one exception type of the configuration library. Every message names the file (or "command line")
// and the key concerned, so that a user can fix the input without reading the code.
#include <stdexcept>
#include <string>

namespace focal {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace focal
