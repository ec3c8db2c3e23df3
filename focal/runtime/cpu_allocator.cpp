#include "focal/runtime/cpu_allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace focal {

void tune_cpu_allocator() {
#if defined(__GLIBC__)
  constexpr int kMiB = 1 << 20;
  mallopt(M_MMAP_THRESHOLD, 32 * kMiB);  // glibc's largest allowed value on 64-bit
  mallopt(M_TRIM_THRESHOLD, 256 * kMiB);
  mallopt(M_TOP_PAD, 64 * kMiB);
#endif
}

}  // namespace focal
