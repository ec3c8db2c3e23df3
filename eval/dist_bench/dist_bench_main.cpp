// focal-dist-bench: the cost of data-parallel gradient averaging, per training step (forward + backward) of
// a model from a config, on random inputs. Run it with 1 process for the baseline and under torchrun (or
// RANK / WORLD_SIZE) for N processes; rank 0 prints, in milliseconds per step (medians):
//   compute    forward + backward without communication (each phase between two barriers: the slowest rank)
//   ddp        forward + backward with the bucketed reducer (gradients all-reduced during backward)
//   allreduce  the same gradient bytes all-reduced alone, after backward (no overlap possible)
//   overlap    the share of the all-reduce hidden behind backward: 1 - (ddp - compute) / allreduce
// and the images/s of the whole group. Not a test: it prints figures, it asserts nothing.
#include "eval/arg_parser.h"
#include "focal/config/config.h"
#include "focal/runtime/cpu_allocator.h"
#include "focal/runtime/device.h"
#include "focal/zoo/model_zoo.h"
#include "train/distributed/communicator.h"
#include "train/distributed/gradient_reducer.h"
#include "train/distributed/launch_env.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace focal::train;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  focal::tune_cpu_allocator();
  try {
    focal::eval::ArgParser args("focal-dist-bench",
                                "Step time with and without the data-parallel reducer, and its overlap "
                                "(run under torchrun for several processes).");
    args.option("cfg", "model configuration (YAML)")
        .option("batch-size", "images per process", "8")
        .option("steps", "timed steps", "10")
        .option("warmup", "untimed steps first", "3")
        .option("device", "cpu, or cuda (NCCL; each process on GPU LOCAL_RANK)", "cpu");
    if (!args.parse(argc, argv)) return 0;
    if (!args.has("cfg")) throw std::invalid_argument("--cfg FILE is required (see --help)");
    const std::string cfg = args.get("cfg");
    const int64_t batch = args.get_int("batch-size"), steps = args.get_int("steps"),
                  warmup = args.get_int("warmup");
    const std::string device = args.get("device");
    const auto config = focal::Config::from_file(cfg);
    const auto env = launch_env_from_environment();
    const torch::Device dev = focal::parse_device(
        device == "cuda" && env.distributed() ? "cuda:" + std::to_string(env.local_rank) : device);
    if (dev.is_cuda()) c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->setDevice(dev);
    torch::manual_seed(0);
    auto model = focal::create_model_from_config(config);
    model->to(dev);
    model->train();
    std::vector<torch::Tensor> params;
    std::vector<std::string> names;
    for (const auto& p : model->named_parameters()) {
      params.push_back(p.value());
      names.push_back(p.key());
    }
    const int64_t size = config.get<int64_t>("DATA.IMG_SIZE");
    const int64_t chans = config.get<int64_t>("MODEL.FOCAL.IN_CHANS");
    auto x = torch::randn({batch, chans, size, size}).to(dev);                              // (B, C, H, W)
    auto y = torch::randint(0, config.get<int64_t>("MODEL.NUM_CLASSES"), {batch}).to(dev);  // (B,)
    auto step = [&] {
      model->zero_grad();
      torch::nn::functional::cross_entropy(model->forward(x), y).backward();
    };
    std::unique_ptr<Communicator> comm;
    std::unique_ptr<GradientReducer> reducer;
    if (env.distributed()) {
      comm = std::make_unique<Communicator>(
          env, CommunicatorOptions().backend(dev.is_cuda() ? "nccl" : "gloo").device(dev));
      reducer = std::make_unique<GradientReducer>(params, names, *comm, GradientReducerOptions());
    }
    std::vector<double> compute, ddp, allreduce;
    // Each phase starts and ends with a barrier, so that every figure is the slowest rank's (a data-parallel
    // step waits for it anyway) and the three are comparable.
    auto timed = [&](std::vector<double>& into, bool record, const std::function<void()>& work) {
      if (comm) comm->barrier("bench barrier");
      const auto t = std::chrono::steady_clock::now();
      work();
      if (dev.is_cuda()) torch::cuda::synchronize();
      if (comm) comm->barrier("bench barrier");
      if (record) into.push_back(ms_since(t));
    };
    for (int64_t i = 0; i < warmup + steps; ++i) {
      const bool record = i >= warmup;
      timed(compute, record, step);
      if (!comm) continue;
      timed(ddp, record, [&] {
        reducer->before_forward(true);
        reducer->before_backward(true, {});
        step();
      });
      std::vector<torch::Tensor> grads;
      for (const auto& p : params) grads.push_back(p.grad().reshape({-1}));
      auto flat = torch::cat(grads);  // (numel,)
      timed(allreduce, record, [&] { comm->all_reduce(flat, "bench all-reduce"); });
    }
    if (env.rank != 0) return 0;
    const double c = median(compute), d = median(ddp), a = median(allreduce);
    const double world = static_cast<double>(env.world_size);
    std::printf(
        "model %s on %s, batch %lld per process, %lld process(es), %d thread(s) each, %lld timed steps\n",
        config.get<std::string>("MODEL.NAME").c_str(), dev.str().c_str(), static_cast<long long>(batch),
        static_cast<long long>(env.world_size), torch::get_num_threads(), static_cast<long long>(steps));
    std::printf("compute %.1f ms (%.1f images/s for the group)\n", c, world * batch * 1000.0 / c);
    if (comm) {
      const double overlap = a > 0 ? std::clamp(1.0 - (d - c) / a, 0.0, 1.0) : 0.0;
      std::printf(
          "ddp %.1f ms (%.1f images/s)  allreduce alone %.1f ms (%.2f MiB)  overlap %.0f%%  buckets %lld\n",
          d, world * batch * 1000.0 / d, a, static_cast<double>(reducer->gradient_bytes()) / 1048576.0,
          100.0 * overlap, static_cast<long long>(reducer->num_buckets()));
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "focal-dist-bench: error: %s\n", e.what());
    return 1;
  }
}
