#include "focal/io/detail/byte_cursor.h"

#include <cstring>
#include <string>

#include "focal/io/detail/format_error.h"

namespace focal::io::detail {

ByteCursor::ByteCursor(std::string_view bytes, size_t pos) : bytes_(bytes), pos_(pos) {
  if (pos > bytes.size()) short_read(pos - bytes.size());
}

void ByteCursor::short_read(uint64_t n) const {
  throw FormatError("data ends early: need " + std::to_string(n) + " bytes at byte " + std::to_string(pos_) +
                    ", only " + std::to_string(remaining()) + " left");
}

void ByteCursor::seek(uint64_t pos) {
  if (pos > bytes_.size()) {
    throw FormatError("offset " + std::to_string(pos) + " lies past the end of the data (" +
                      std::to_string(bytes_.size()) + " bytes)");
  }
  pos_ = static_cast<size_t>(pos);
}

std::string_view ByteCursor::take(uint64_t n) {
  if (n > remaining()) short_read(n);
  std::string_view out = bytes_.substr(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return out;
}

uint8_t ByteCursor::u8() { return static_cast<uint8_t>(take(1)[0]); }

uint16_t ByteCursor::u16le() {
  auto b = take(2);
  return static_cast<uint16_t>(static_cast<uint8_t>(b[0]) | (static_cast<uint8_t>(b[1]) << 8));
}

uint32_t ByteCursor::u32le() {
  auto b = take(4);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[static_cast<size_t>(i)]);
  return v;
}

uint64_t ByteCursor::u64le() {
  auto b = take(8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[static_cast<size_t>(i)]);
  return v;
}

double ByteCursor::f64be() {
  auto b = take(8);
  uint64_t bits = 0;
  for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(b[i]);
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::string_view ByteCursor::line() {
  size_t end = bytes_.find('\n', pos_);
  if (end == std::string_view::npos) {
    throw FormatError("data ends early: no end of line after byte " + std::to_string(pos_));
  }
  std::string_view out = bytes_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return out;
}

}  // namespace focal::io::detail
