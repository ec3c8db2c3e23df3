// One rank of the reducer scenarios of distributed_test.cpp, started twice with RANK / WORLD_SIZE and a
// FileStore. Each rank also computes the one-process reference itself (the whole batch, no communication),
// so the comparison needs no other file. Exits 0 when the scenario holds, 1 (with the figures) otherwise.
//   float64       3 SGD steps in double: the 2-rank weights equal the 1-process weights to 1e-12
//   accumulation  a backward between updates communicates nothing (ranks keep their own gradients); the
//                 next synchronised backward averages the accumulated sums exactly
//   bf16          gradients all-reduced in bfloat16 equal the float32 average to bfloat16 precision
//   overflow      an fp16-style overflow on rank 1 only (no reducer): every rank skips the step
#include "focal/config/config.h"
#include "focal/zoo/model_zoo.h"
#include "train/distributed.h"
#include "train/distributed/communicator.h"
#include "train/distributed/gradient_reducer.h"
#include "train/distributed/launch_env.h"
#include "train/distributed/run_consistency.h"
#include "train/recipe/grad_scaler.h"

#include <torch/torch.h>

#include <cstdio>
#include <limits>
#include <string>

using namespace focal::train;

namespace {

struct Replica {
  focal::Classifier model;
  std::vector<torch::Tensor> params;
  std::vector<std::string> names;
};

Replica make_replica(const focal::Config& config, torch::Dtype dtype) {
  torch::manual_seed(0);  // identical initial weights on every rank and for the reference
  Replica r{focal::create_model_from_config(config), {}, {}};
  r.model->to(dtype);
  for (const auto& p : r.model->named_parameters()) {
    r.params.push_back(p.value());
    r.names.push_back(p.key());
  }
  return r;
}

// The whole batch of every step, the same on every rank; rank r uses rows r, r + world, ...
std::pair<torch::Tensor, torch::Tensor> batch(int64_t step, int64_t rows, torch::Dtype dtype) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1000 + static_cast<uint64_t>(step));
  auto x = torch::randn({rows, 1, 32, 32}, gen).to(dtype);   // (rows, 1, 32, 32)
  auto y = torch::randint(0, 3, {rows}, gen, torch::kLong);  // (rows,)
  return {x, y};
}

torch::Tensor shard(const torch::Tensor& t, int64_t rank, int64_t world) {
  return t.index({torch::indexing::Slice(rank, torch::indexing::None, world)});
}

double max_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, (a[i].to(torch::kDouble) - b[i].to(torch::kDouble)).abs().max().item<double>());
  }
  return worst;
}

std::vector<torch::Tensor> grads(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> g;
  for (const auto& p : params) g.push_back(p.grad().detach().clone());
  return g;
}

double loss_backward(Replica& r, const torch::Tensor& x, const torch::Tensor& y) {
  auto loss = torch::nn::functional::cross_entropy(r.model->forward(x), y);  // ()
  loss.backward();
  return loss.item<double>();
}

int check(bool ok, const std::string& what, double figure, int64_t rank) {
  std::printf("rank %lld: %s: %.3g %s\n", static_cast<long long>(rank), what.c_str(), figure,
              ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: dist_worker float64|accumulation|bf16|overflow CONFIG.yaml\n");
    return 2;
  }
  const std::string scenario = argv[1];
  const auto config = focal::Config::from_file(argv[2]);
  const auto env = launch_env_from_environment();
  Communicator comm(env, CommunicatorOptions().timeout(std::chrono::seconds(60)));
  const int64_t rank = env.rank, world = env.world_size, rows = 8 * world;
  const auto dtype = scenario == "float64" ? torch::kDouble : torch::kFloat;
  Replica dp = make_replica(config, dtype), ref = make_replica(config, dtype);
  check_same_run(comm, run_signature("scenario: " + scenario, *dp.model));
  GradientReducer reducer(dp.params, dp.names, comm,
                          GradientReducerOptions().bf16_compress(scenario == "bf16"));
  int failures = 0;

  if (scenario == "overflow") {
    // Local gradients only (as under a bf16/fp16 mix where the reducer would not carry the inf), rank 1's
    // poisoned: the trainer's rule must make every rank skip the step.
    auto [x, y] = batch(0, rows, dtype);
    loss_backward(dp, shard(x, rank, world), shard(y, rank, world));
    if (rank == 1) dp.params[0].grad().view({-1})[0] = std::numeric_limits<float>::infinity();
    std::vector<torch::Tensor> weights;
    for (const auto& p : dp.params) weights.push_back(p.detach().clone());
    torch::optim::SGD opt(dp.params, torch::optim::SGDOptions(0.1));
    GradScaler scaler(GradScalerOptions().init_scale(1024.0));
    DistributedContext ctx{rank, world, rank, std::shared_ptr<Communicator>(&comm, [](Communicator*) {})};
    const bool local = scaler.unscale(dp.params);
    scaler.set_found_inf(any_rank(local, ctx, "overflow flag"));
    const bool stepped = scaler.step(opt);
    scaler.update();
    failures += check(local == (rank == 1), "local overflow seen only where planted", local ? 1 : 0, rank);
    failures += check(!stepped && max_diff(weights, dp.params) == 0.0, "step skipped on every rank",
                      stepped ? 1 : 0, rank);
    failures += check(scaler.current_scale() == 512.0, "loss scale backed off on every rank",
                      scaler.current_scale(), rank);
  } else if (scenario == "float64") {
    torch::optim::SGD opt_dp(dp.params, torch::optim::SGDOptions(0.1).momentum(0.9));
    torch::optim::SGD opt_ref(ref.params, torch::optim::SGDOptions(0.1).momentum(0.9));
    for (int64_t step = 0; step < 3; ++step) {
      auto [x, y] = batch(step, rows, dtype);
      opt_dp.zero_grad();
      reducer.before_forward(true);
      reducer.before_backward(true, {});
      loss_backward(dp, shard(x, rank, world), shard(y, rank, world));
      opt_dp.step();
      opt_ref.zero_grad();
      loss_backward(ref, x, y);
      opt_ref.step();
    }
    failures +=
        check(max_diff(dp.params, ref.params) < 1e-12, "float64 weights after 3 steps, |2 ranks - 1 process|",
              max_diff(dp.params, ref.params), rank);
  } else {
    // Two micro-batches per rank: the first without synchronisation, the second with it.
    auto [x, y] = batch(0, 2 * rows, dtype);
    auto mine_x = shard(x, rank, world), mine_y = shard(y, rank, world);
    const int64_t half = mine_x.size(0) / 2;
    auto first_x = mine_x.narrow(0, 0, half), first_y = mine_y.narrow(0, 0, half);
    auto second_x = mine_x.narrow(0, half, half), second_y = mine_y.narrow(0, half, half);
    reducer.before_forward(false);
    reducer.before_backward(false, {});
    loss_backward(dp, first_x, first_y);
    const auto local = grads(dp.params);
    // Without communication each rank holds the gradient of its own micro-batch (computed here again).
    loss_backward(ref, first_x, first_y);
    failures += check(max_diff(local, grads(ref.params)) == 0.0,
                      "gradient after an unsynchronised backward, |dp - local|",
                      max_diff(local, grads(ref.params)), rank);
    reducer.before_forward(true);
    reducer.before_backward(true, {});
    loss_backward(dp, second_x, second_y);
    // The reference: the sum of both micro-batches' mean-loss gradients, averaged over ranks.
    ref.model->zero_grad();
    for (int64_t r = 0; r < world; ++r) {
      auto rx = shard(x, r, world), ry = shard(y, r, world);
      loss_backward(ref, rx.narrow(0, 0, half), ry.narrow(0, 0, half));
      loss_backward(ref, rx.narrow(0, half, half), ry.narrow(0, half, half));
    }
    auto expected = grads(ref.params);
    for (auto& g : expected) g.div_(static_cast<double>(world));
    const double d = max_diff(grads(dp.params), expected);
    if (scenario == "accumulation") {
      failures +=
          check(d < 1e-6, "accumulated gradient after the synchronised backward, |dp - reference|", d, rank);
    } else {
      double scale = 0;
      for (const auto& g : expected) scale = std::max(scale, g.abs().max().item<double>());
      failures += check(d <= scale / 64.0 && d > 0,
                        "bf16-compressed gradient, |dp - float32 reference| / max|g|", d / scale, rank);
    }
  }
  return failures == 0 ? 0 : 1;
}
