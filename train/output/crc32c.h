#pragma once
// CRC-32C (Castagnoli) and the masked form TFRecord files store after each length and payload.
#include <cstddef>
#include <cstdint>

namespace focal::train {

uint32_t crc32c(const void* data, size_t size);
// ((crc >> 15) | (crc << 17)) + 0xa282ead8, as TensorFlow's record writer masks checksums.
uint32_t masked_crc32c(const void* data, size_t size);

}  // namespace focal::train
