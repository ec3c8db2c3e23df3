#pragma once
// Throughput of a classifier on random images: forward alone (eval mode, no autograd) or forward + backward
// of a summed-logits loss (train mode), images per second over `iterations` timed steps after `warmup`.
#include "focal/layers/backbone/classifier.h"

#include <c10/core/Device.h>

#include <cstdint>

namespace focal::halonet_compare {

struct BenchmarkSetup {
  int64_t batch = 8;
  int64_t img_size = 256;
  int64_t warmup = 1;
  int64_t iterations = 3;
  bool backward = false;
  c10::Device device = c10::kCPU;  // the model must already be there
};

double benchmark_images_per_second(focal::ClassifierImpl& model, const BenchmarkSetup& setup);

}  // namespace focal::halonet_compare
