// halonet-compare: our HaloNet's CPU throughput, to set beside timm's (timm_speed.py, compare.py).
// Usage: halonet-compare [--model halonet_h1] [--batch 8] [--size 256] [--warmup 1] [--iters 3]
//                        [--threads N] [--mode forward|train|both] [--profile TRACE.json]
// --profile records the timed iterations with the autograd profiler (chrome trace; summarise it with
// profile_summary.py).
// Prints one line per mode: "ours <model> <mode> batch <B> size <S> threads <T> images/s <X>".
#include "eval/halonet_compare/benchmark.h"
#include "focal/halonet/halonet_zoo.h"

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
  try {
    std::string model_name = "halonet_h1", mode = "both";
    focal::halonet_compare::BenchmarkSetup setup;
    int64_t threads = 0;
    std::string profile_path;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (i + 1 >= argc) throw std::invalid_argument("missing value after " + arg);
      const std::string value = argv[++i];
      if (arg == "--model")
        model_name = value;
      else if (arg == "--batch")
        setup.batch = std::stoll(value);
      else if (arg == "--size")
        setup.img_size = std::stoll(value);
      else if (arg == "--warmup")
        setup.warmup = std::stoll(value);
      else if (arg == "--iters")
        setup.iterations = std::stoll(value);
      else if (arg == "--threads")
        threads = std::stoll(value);
      else if (arg == "--mode")
        mode = value;
      else if (arg == "--profile")
        profile_path = value;
      else
        throw std::invalid_argument("unknown argument " + arg);
    }
    if (mode != "forward" && mode != "train" && mode != "both") {
      throw std::invalid_argument("--mode must be forward, train or both, got " + mode);
    }
    if (threads > 0) torch::set_num_threads(static_cast<int>(threads));
    torch::manual_seed(0);
    auto model = focal::halonet::create_halonet(model_name, 1000);
    for (const char* m : {"forward", "train"}) {
      if (mode != "both" && mode != m) continue;
      setup.backward = std::string(m) == "train";
      std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
      if (!profile_path.empty()) {
        profile =
            std::make_unique<torch::autograd::profiler::RecordProfile>(profile_path + "." + m + ".json");
      }
      const double ips = focal::halonet_compare::benchmark_images_per_second(*model, setup);
      profile.reset();
      std::printf("ours %s %s batch %lld size %lld threads %d images/s %.3f\n", model_name.c_str(), m,
                  static_cast<long long>(setup.batch), static_cast<long long>(setup.img_size),
                  torch::get_num_threads(), ips);
      std::fflush(stdout);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "halonet-compare: " << e.what() << "\n";
    return 1;
  }
}
