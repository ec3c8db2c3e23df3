#pragma once
// The error every reader stage throws on malformed or unsupported content; the public entry points catch it
// and rethrow a std::runtime_error that starts with the file name.
#include <stdexcept>
#include <string>

namespace focal::io::detail {

class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace focal::io::detail
