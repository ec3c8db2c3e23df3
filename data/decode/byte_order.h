#pragma once
// Unsigned integers of a file header, in the byte order the format declares (PNG, IDX and Netpbm sizes are
// big-endian; BMP is little-endian; TIFF says which in its first two bytes).
#include <cstdint>

namespace focal::data {

inline uint32_t read_u16(const uint8_t* p, bool little) {
  return little ? (uint32_t(p[0]) | (uint32_t(p[1]) << 8)) : ((uint32_t(p[0]) << 8) | uint32_t(p[1]));
}

inline uint32_t read_u32(const uint8_t* p, bool little) {
  return little ? (uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24))
                : ((uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]));
}

}  // namespace focal::data
