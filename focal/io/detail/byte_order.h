#pragma once
// Storages of files written on big-endian machines are byte-swapped element by element after reading.
#include <c10/core/ScalarType.h>

#include <cstddef>

namespace focal::io::detail {

// Reverses the bytes of every element (every component, for complex types) in place.
void reverse_element_bytes(void* data, size_t nbytes, c10::ScalarType type);

}  // namespace focal::io::detail
