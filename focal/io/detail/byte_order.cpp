#include "focal/io/detail/byte_order.h"

#include <algorithm>

namespace focal::io::detail {

void reverse_element_bytes(void* data, size_t nbytes, c10::ScalarType type) {
  size_t unit = c10::elementSize(type);
  // A complex number is two floats, each stored in the machine's order.
  if (c10::isComplexType(type)) unit /= 2;
  if (unit <= 1) return;
  auto* bytes = static_cast<unsigned char*>(data);
  for (size_t i = 0; i + unit <= nbytes; i += unit) std::reverse(bytes + i, bytes + i + unit);
}

}  // namespace focal::io::detail
