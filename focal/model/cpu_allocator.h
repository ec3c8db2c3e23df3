#pragma once
// Process-wide glibc malloc settings for CPU training and inference with LibTorch. By default glibc serves
// every block above its (adaptive) mmap threshold with a fresh mmap and returns it on free, so each
// activation and gradient buffer of a training step is page-faulted in and zeroed by the kernel again.
// Keeping blocks of up to 32 MiB on the heap, and trimming it only past 256 MiB of free space, made the
// quick-start model's CPU training step 18-28% faster (PERFORMANCE.md), for about 13 MiB more peak memory.
namespace focal {

// Call once at the start of main(), before threads allocate. A no-op where glibc's mallopt is missing.
void tune_cpu_allocator();

}  // namespace focal
