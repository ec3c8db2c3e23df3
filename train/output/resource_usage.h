#pragma once
// Memory figures for the progress lines: the peak of the CUDA caching allocator when training on a GPU (as
// the original's torch.cuda.max_memory_allocated), the resident set size of the process on the CPU.
#include <torch/types.h>

namespace focal::train {

// Resident set size of this process in MiB (0 where /proc is unavailable).
double process_rss_mib();
// Peak bytes allocated on the device since the start, in MiB (0 for a CPU device).
double device_peak_mib(const torch::Device& device);
// The figure to show for `device`: CUDA peak on a GPU, RSS on the CPU.
double memory_mib(const torch::Device& device);

}  // namespace focal::train
