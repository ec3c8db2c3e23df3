#include "train/output/resource_usage.h"

#include <ATen/DeviceAccelerator.h>
#include <unistd.h>

#include <fstream>

namespace focal::train {

double process_rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0.0;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

double device_peak_mib(const torch::Device& device) {
  if (!device.is_cuda()) return 0.0;
  auto stats = at::accelerator::getDeviceStats(device.has_index() ? device.index() : 0);
  auto peak = stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
  return static_cast<double>(peak) / (1024.0 * 1024.0);
}

double memory_mib(const torch::Device& device) {
  return device.is_cuda() ? device_peak_mib(device) : process_rss_mib();
}

}  // namespace focal::train
