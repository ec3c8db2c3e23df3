#pragma once
// Bounds-checked sequential reads from a byte buffer: every read that would pass the end throws FormatError.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace focal::io::detail {

class ByteCursor {
 public:
  explicit ByteCursor(std::string_view bytes, size_t pos = 0);

  size_t pos() const { return pos_; }
  size_t size() const { return bytes_.size(); }
  size_t remaining() const { return bytes_.size() - pos_; }
  void seek(uint64_t pos);

  std::string_view take(uint64_t n);
  uint8_t u8();
  uint16_t u16le();
  uint32_t u32le();
  uint64_t u64le();
  // Python's BINFLOAT: an IEEE double in big-endian order.
  double f64be();
  // Bytes up to the next '\n'; the newline is consumed but not returned.
  std::string_view line();

 private:
  [[noreturn]] void short_read(uint64_t n) const;

  std::string_view bytes_;
  size_t pos_;
};

}  // namespace focal::io::detail
