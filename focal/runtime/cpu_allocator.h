#pragma once
// Process-wide glibc malloc settings for CPU training and inference with LibTorch. By default glibc serves
// every block above its (adaptive) mmap threshold with a fresh mmap and returns it on free, so each
// activation and gradient buffer of a training step is page-faulted in and zeroed by the kernel again.
// Keeping blocks of up to 32 MiB on the heap, and trimming it only past 256 MiB of free space, made the
// quick-start and Focal-T CPU training steps 6-28% faster in back-to-back runs (PERFORMANCE.md), for 10-110
// MiB more peak memory.
namespace focal {

// Call once at the start of main(), before threads allocate. A no-op where glibc's mallopt is missing.
void tune_cpu_allocator();

}  // namespace focal
