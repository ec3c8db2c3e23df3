// focal-bench: forward and training images/s and peak memory of a registered model (or a configuration).
#include "eval/arg_parser.h"
#include "eval/model_benchmark.h"
#include "focal/config/config.h"
#include "focal/runtime/cpu_allocator.h"
#include "focal/runtime/device.h"
#include "focal/zoo/model_zoo.h"

#include <torch/torch.h>

#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  focal::tune_cpu_allocator();
  try {
    focal::eval::ArgParser args("focal-bench", "Measures images/s and peak memory of a model.");
    args.option("model", "registered model name (see focal-info)", "focal_tiny_patch4_window7_224")
        .option("cfg", "YAML configuration instead of a registered name")
        .option("batch-size", "images per step", "8")
        .option("img-size", "input side (default: the model's)")
        .option("device", "cpu, cuda or cuda:N", "cpu")
        .option("dtype", "fp32, or bf16 / fp16 autocast", "fp32")
        .option("mode", "forward, train, both, or optim (the optimizer step alone)", "both")
        .option("optimizer", "fused (focal-train's FusedAdamW) or loop (torch::optim::AdamW)", "fused")
        .flag("profile", "train: time forward/backward/optimizer and list operator self times")
        .option("warmup", "untimed steps first", "2")
        .option("iters", "timed steps", "5")
        .option("threads", "CPU threads (default: LibTorch's)");
    if (!args.parse(argc, argv)) return 0;
    // Checked first: a missing GPU is one sentence, not a LibTorch backtrace after the model is built.
    const auto device = focal::parse_device(args.get("device"));
    if (args.has("threads")) torch::set_num_threads(static_cast<int>(args.get_int("threads")));

    focal::Classifier model;
    int64_t img_size = 0, in_chans = 3;
    std::string name;
    if (args.has("cfg")) {
      const auto config = focal::Config::from_file(args.get("cfg"));
      model = focal::create_model_from_config(config);
      img_size = config.get<int64_t>("DATA.IMG_SIZE");
      name = config.get<std::string>("MODEL.NAME");
      if (config.get<std::string>("MODEL.TYPE") == "focal")
        in_chans = config.get<int64_t>("MODEL.FOCAL.IN_CHANS");
    } else {
      name = args.get("model");
      model = focal::create_model(name);
      img_size = focal::registered_model(name).img_size;
    }
    focal::eval::BenchmarkOptions options;
    options.batch_size = args.get_int("batch-size");
    options.img_size = args.has("img-size") ? args.get_int("img-size") : img_size;
    options.in_chans = in_chans;
    options.warmup = args.get_int("warmup");
    options.iterations = args.get_int("iters");
    options.dtype = args.get("dtype");
    options.device = device;
    options.optimizer = args.get("optimizer");
    options.profile = args.has("profile");
    const std::string mode = args.get("mode");
    if (mode != "forward" && mode != "train" && mode != "both" && mode != "optim") {
      throw std::invalid_argument("--mode must be forward, train, both or optim, not '" + mode + "'");
    }
    std::printf("model %s, batch %lld, input %lld, %s, %s, %d CPU threads\n", name.c_str(),
                static_cast<long long>(options.batch_size), static_cast<long long>(options.img_size),
                options.device.str().c_str(), options.dtype.c_str(), torch::get_num_threads());
    // The protocol goes beside every figure, so that it compares with focal-train --throughput (which runs
    // 50 warm-up and 30 timed forward passes of one validation batch).
    const std::string protocol = std::to_string(options.warmup) + " warm-up + " +
                                 std::to_string(options.iterations) + " timed steps of batch " +
                                 std::to_string(options.batch_size) + ", random inputs";
    if (mode == "optim") {
      std::printf("optim: running %s ...\n", protocol.c_str());
      const auto r = focal::eval::benchmark_optimizer(model, options);
      std::printf(
          "optim    %s AdamW step %10.1f ms/step  peak memory %9.1f MiB  (%lld warm-up + %lld timed)\n",
          options.optimizer.c_str(), 1e3 * r.seconds_per_iteration, r.peak_memory_mib,
          static_cast<long long>(options.warmup), static_cast<long long>(options.iterations));
      return 0;
    }
    for (const char* m : {"forward", "train"}) {
      if (mode != "both" && mode != m) continue;
      std::printf("%s: running %s ...\n", m, protocol.c_str());
      std::fflush(stdout);
      const auto r = std::string(m) == "forward" ? focal::eval::benchmark_forward(model, options)
                                                 : focal::eval::benchmark_train(model, options);
      std::printf("%-8s %10.2f images/s %10.1f ms/step  peak memory %9.1f MiB  (%s)\n", r.mode.c_str(),
                  r.images_per_second, 1e3 * r.seconds_per_iteration, r.peak_memory_mib, protocol.c_str());
      if (!r.profile_table.empty()) {
        std::printf("phases (profiled run) forward %.1f ms, backward %.1f ms, optimizer %.1f ms per step\n%s",
                    1e3 * r.forward_seconds, 1e3 * r.backward_seconds, 1e3 * r.optimizer_seconds,
                    r.profile_table.c_str());
      }
      std::fflush(stdout);
    }
    return 0;
  } catch (const c10::Error& e) {
    std::cerr << "focal-bench: " << e.what_without_backtrace() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "focal-bench: " << e.what() << "\n";
    return 2;
  }
}
