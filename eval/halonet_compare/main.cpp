// halonet-compare: our HaloNet's throughput, to set beside timm's (timm_speed.py, compare.py).
// --profile records the timed iterations with the autograd profiler (chrome trace; summarise it with
// profile_summary.py).
// Prints per mode the protocol, then "ours <model> <mode> batch <B> size <S> threads <T> images/s <X>"
// (the line compare.py reads).
#include "eval/arg_parser.h"
#include "eval/halonet_compare/benchmark.h"
#include "focal/halonet/halonet_zoo.h"
#include "focal/runtime/device.h"

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
  try {
    focal::eval::ArgParser args("halonet-compare",
                                "Images/s of our HaloNet (forward, and forward + backward of the summed "
                                "logits), to compare with timm's (timm_speed.py, compare.py).");
    args.option("model", "registered HaloNet (halonet_h0 ... halonet_h7)", "halonet_h1")
        .option("batch", "images per step", "8")
        .option("size", "input side", "256")
        .option("warmup", "untimed steps first", "1")
        .option("iters", "timed steps", "3")
        .option("threads", "CPU threads (default: LibTorch's)")
        .option("mode", "forward, train or both", "both")
        .option("device", "cpu, cuda or cuda:N", "cpu")
        .option("profile", "write an autograd-profiler chrome trace to PATH.<mode>.json");
    if (!args.parse(argc, argv)) return 0;
    const auto device = focal::parse_device(args.get("device"));
    const std::string model_name = args.get("model"), mode = args.get("mode");
    if (mode != "forward" && mode != "train" && mode != "both") {
      throw std::invalid_argument("--mode must be forward, train or both, not '" + mode + "'");
    }
    focal::halonet_compare::BenchmarkSetup setup;
    setup.batch = args.get_int("batch");
    setup.img_size = args.get_int("size");
    setup.warmup = args.get_int("warmup");
    setup.iterations = args.get_int("iters");
    setup.device = device;
    if (args.has("threads")) torch::set_num_threads(static_cast<int>(args.get_int("threads")));
    const std::string profile_path = args.get("profile");
    torch::manual_seed(0);
    auto model = focal::halonet::create_halonet(model_name, 1000);
    model->to(device);
    for (const char* m : {"forward", "train"}) {
      if (mode != "both" && mode != m) continue;
      setup.backward = std::string(m) == "train";
      std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
      if (!profile_path.empty()) {
        profile =
            std::make_unique<torch::autograd::profiler::RecordProfile>(profile_path + "." + m + ".json");
      }
      // The protocol on a line of its own: compare.py parses the result line, which ends with the figure.
      std::printf("%s: %lld warm-up + %lld timed steps of batch %lld, random inputs, %s\n", m,
                  static_cast<long long>(setup.warmup), static_cast<long long>(setup.iterations),
                  static_cast<long long>(setup.batch), device.str().c_str());
      std::fflush(stdout);
      const double ips = focal::halonet_compare::benchmark_images_per_second(*model, setup);
      profile.reset();
      std::printf("ours %s %s batch %lld size %lld threads %d images/s %.3f\n", model_name.c_str(), m,
                  static_cast<long long>(setup.batch), static_cast<long long>(setup.img_size),
                  torch::get_num_threads(), ips);
      std::fflush(stdout);
    }
    return 0;
  } catch (const c10::Error& e) {
    std::cerr << "halonet-compare: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "halonet-compare: " << e.what() << "\n";
    return 1;
  }
}
