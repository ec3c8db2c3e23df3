// TRAIN.CUDA_GRAPH (train/cuda_graph_step.h): the key reaches the settings, every setting that cannot be
// captured is refused with an error naming the key and the reason (before a run folder exists), the fused
// AdamW with its LR in device tensors steps as with the LR as a number while the schedule changes it, and,
// on a GPU, a run whose step is captured and replayed trains the same weights, EMA and optimizer state as
// the same run stepped eagerly.
#include "focal/config/config_error.h"
#include "focal/io/state_dict.h"
#include "tests/support/test_env.h"
#include "train/checkpoint/training_checkpoint.h"
#include "train/cuda_graph_step.h"
#include "train/recipe/fused_adamw.h"
#include "train/trainer.h"

#include <torch/cuda.h>
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>

using namespace focal::train;

namespace {

// A Focal model of a few thousand parameters on 32x32 synthetic images, without drop path or Mixup, so that
// two runs of the same seed see the same batches and draw no random numbers on the device.
// Flow-style YAML: focal levels 2/2 pooled by fc, expansion 2/1.
const char* kGraphConfig = R"(MODEL: {NAME: tiny_cuda_graph, NUM_CLASSES: 4, DROP_PATH_RATE: 0.0,
  FOCAL: {PATCH_SIZE: 4, EMBED_DIM: 8, DEPTHS: [1, 1], NUM_HEADS: [1, 2], WINDOW_SIZE: 4, FOCAL_POOL: fc,
          FOCAL_STAGES: [0, 1], FOCAL_LEVELS: [2, 2], FOCAL_WINDOWS: [3, 1], EXPAND_STAGES: [0, 1],
          EXPAND_SIZES: [2, 1]}}
DATA: {DATASET: synthetic, IMG_SIZE: 32, BATCH_SIZE: 4, NUM_WORKERS: 1}
TRAIN: {EPOCHS: 2, WARMUP_EPOCHS: 1, BASE_LR: 0.01, EMA: {ENABLE: true, DECAY: 0.9}}
AUG: {MIXUP: 0.0, CUTMIX: 0.0}
TEST: {CROP: false}
PRINT_FREQ: 2
SEED: 3
)";

focal::Config graph_config(const std::filesystem::path& run, const std::vector<std::string>& opts = {}) {
  const auto yaml = focal::test::temp_dir("cuda_graph_config") / "graph.yaml";
  std::ofstream(yaml) << kGraphConfig;
  auto c = focal::Config::from_file(yaml.string());
  if (!opts.empty()) c.merge_opts(opts);
  c.set("OUTPUT", "'" + run.string() + "'");
  return c;
}

TrainSettings graph_settings(const std::vector<std::string>& opts) {
  return settings_from_config(graph_config("unused", opts), DistributedContext{});
}

const torch::Device kCuda(torch::kCUDA);

std::string log_text(const std::filesystem::path& run) {
  std::ifstream in(run / "log.txt");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("TRAIN.CUDA_GRAPH is a boolean key, false by default", "[train][cuda_graph]") {
  CHECK_FALSE(graph_settings({}).cuda_graph);
  CHECK(graph_settings({"TRAIN.CUDA_GRAPH", "True"}).cuda_graph);
  auto dir = focal::test::temp_dir("cuda_graph_yaml");
  std::ofstream(dir / "graph.yaml") << "TRAIN:\n  CUDA_GRAPH: true\n";
  CHECK(focal::Config::from_file((dir / "graph.yaml").string()).get<bool>("TRAIN.CUDA_GRAPH"));
  auto c = focal::Config::defaults();
  CHECK_THROWS_WITH(c.merge_opts({"TRAIN.CUDA_GRAPH", "sometimes"}), Catch::Contains("TRAIN.CUDA_GRAPH"));
}

TEST_CASE("TRAIN.CUDA_GRAPH refuses what it cannot capture, naming the key and the reason",
          "[train][cuda_graph]") {
  using Catch::Contains;
  const auto on = graph_settings({"TRAIN.CUDA_GRAPH", "True"});
  CHECK_NOTHROW(check_cuda_graph_supported(on, kCuda, 1));
  CHECK_NOTHROW(check_cuda_graph_supported(graph_settings({}), torch::Device(torch::kCPU), 4));
  CHECK_THROWS_WITH(check_cuda_graph_supported(on, torch::Device(torch::kCPU), 1),
                    Contains("TRAIN.CUDA_GRAPH") && Contains("needs a CUDA device") && Contains("cpu"));
  CHECK_THROWS_WITH(check_cuda_graph_supported(on, kCuda, 2), Contains("TRAIN.CUDA_GRAPH") &&
                                                                  Contains("one process, this run has 2") &&
                                                                  Contains("gradient reducer"));
  CHECK_THROWS_WITH(
      check_cuda_graph_supported(
          graph_settings({"TRAIN.CUDA_GRAPH", "True", "TRAIN.ACCUMULATION_STEPS", "2"}), kCuda, 1),
      Contains("TRAIN.CUDA_GRAPH") && Contains("TRAIN.ACCUMULATION_STEPS 2"));
  CHECK_THROWS_WITH(
      check_cuda_graph_supported(graph_settings({"TRAIN.CUDA_GRAPH", "True", "TRAIN.OPTIMIZER.NAME", "sgd"}),
                                 kCuda, 1),
      Contains("TRAIN.CUDA_GRAPH") && Contains("fused AdamW") && Contains("this run has sgd"));
  auto loop = on;
  loop.optimizer.fused(false);
  CHECK_THROWS_WITH(check_cuda_graph_supported(loop, kCuda, 1),
                    Contains("TRAIN.CUDA_GRAPH") && Contains("without the fused kernel"));
  CHECK_THROWS_WITH(
      check_cuda_graph_supported(graph_settings({"TRAIN.CUDA_GRAPH", "True", "TRAIN.USE_CHECKPOINT", "True"}),
                                 kCuda, 1),
      Contains("TRAIN.CUDA_GRAPH") && Contains("TRAIN.USE_CHECKPOINT"));
  // The step object itself refuses a CPU device.
  auto p = torch::zeros({2}, torch::requires_grad());
  FusedAdamW opt({torch::optim::OptimizerParamGroup({p})});
  auto step = [](const torch::Tensor&, const torch::Tensor&) { return CudaGraphStep::Outputs{}; };
  CHECK_THROWS_WITH(CudaGraphStep(step, opt, torch::Device(torch::kCPU)), Contains("needs a CUDA device"));
}

TEST_CASE("a CPU run with TRAIN.CUDA_GRAPH stops before it creates its run folder", "[train][cuda_graph]") {
  auto dir = focal::test::temp_dir("cuda_graph_cpu");
  CHECK_THROWS_AS(Trainer(graph_config(dir / "run", {"TRAIN.CUDA_GRAPH", "True"}),
                          TrainerOptions().synthetic_size(16).console(false)),
                  focal::ConfigError);
  CHECK_FALSE(std::filesystem::exists(dir / "run"));
  // Evaluation trains nothing and captures nothing: the key does not stop it.
  Trainer eval(graph_config(dir / "eval", {"TRAIN.CUDA_GRAPH", "True", "EVAL_MODE", "True"}),
               TrainerOptions().synthetic_size(16).console(false));
  const auto result = eval.run();
  CHECK(result.last_eval.has_value());
}

TEST_CASE("fused AdamW with the LR in device tensors steps as with the LR as a number",
          "[train][cuda_graph]") {
  torch::manual_seed(5);
  auto make = [](std::vector<torch::Tensor>& params) {
    params = {torch::randn({3, 4}), torch::randn({4}), torch::randn({2, 2})};
    for (auto& p : params) p.requires_grad_(true);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(
        std::vector<torch::Tensor>{params[0], params[2]},
        std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(1e-2).weight_decay(0.05)));
    groups.emplace_back(
        std::vector<torch::Tensor>{params[1]},
        std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(1e-2).weight_decay(0.0)));
    return std::make_unique<FusedAdamW>(groups);
  };
  std::vector<torch::Tensor> a, b;
  auto by_number = make(a);
  auto by_tensor = make(b);
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
  }
  by_tensor->use_lr_tensors();
  REQUIRE(by_tensor->uses_lr_tensors());
  // An LR that changes by orders of magnitude from step to step, as a warm-up does: a stale LR tensor shows.
  const std::vector<double> lrs = {1e-3, 3e-2, 1e-5, 2e-1, 5e-3};
  for (size_t step = 0; step < lrs.size(); ++step) {
    for (auto* opt : {by_number.get(), by_tensor.get()}) {
      for (auto& g : opt->param_groups())
        g.options().set_lr(lrs[step] * (&g == &opt->param_groups()[1] ? 2 : 1));
    }
    by_tensor->write_lr_tensors();
    for (size_t i = 0; i < a.size(); ++i) {
      auto grad = torch::randn_like(a[i]);
      a[i].mutable_grad() = grad.clone();
      b[i].mutable_grad() = grad.clone();
    }
    if (step == 2) {  // an fp16 overflow step: skipped by both, step counts unchanged
      const auto inf = torch::ones({});
      by_number->step_unless(inf);
      by_tensor->step_unless(inf);
    } else {
      by_number->step();
      by_tensor->step();
    }
    for (size_t i = 0; i < a.size(); ++i) {
      INFO("step " << step << " parameter " << i);
      // float32 LR against double: the updates differ by float32 rounding of the LR only.
      CHECK((a[i] - b[i]).abs().max().item<double>() <= 1e-7);
      CHECK(by_number->step_count(a[i]) == by_tensor->step_count(b[i]));
    }
  }
  CHECK(by_tensor->step_count(b[0]) == 4);
}

namespace {

struct Run {
  std::vector<std::vector<torch::Tensor>> weights;  // after each step, as the step observer saw them
  std::vector<double> lrs;                          // the LR each step used
  std::filesystem::path dir;
};

// Six steps of the tiny model, stopped (last.pth written) after the sixth.
Run train_six_steps(const std::string& name, const std::string& device, const std::vector<std::string>& opts,
                    bool capture = true) {
  Run r;
  r.dir = focal::test::temp_dir("cuda_graph_" + name) / "run";
  auto observe = [&r](int64_t, torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
    std::vector<torch::Tensor> w;
    for (const auto& p : model.parameters()) w.push_back(p.detach().cpu().clone());
    r.weights.push_back(std::move(w));
    r.lrs.push_back(optimizer.param_groups()[0].options().get_lr());
  };
  auto options = TrainerOptions().device(device).synthetic_size(64).console(false).stop_after_steps(6);
  auto result =
      Trainer(graph_config(r.dir, opts), options.step_observer(observe).cuda_graph_capture(capture)).run();
  REQUIRE(result.interrupted);
  return r;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// The weights after every step, the LR each step used, and last.pth's EMA, optimizer moments and step counts
// and the epoch's loss and gradient-norm sums agree within `tol`.
void check_same_training(const Run& eager, const Run& graph, double tol) {
  REQUIRE(eager.weights.size() == 6);
  REQUIRE(graph.weights.size() == 6);
  for (size_t step = 0; step < 6; ++step) {
    CHECK(graph.lrs[step] == eager.lrs[step]);
    for (size_t i = 0; i < eager.weights[step].size(); ++i) {
      INFO("step " << step << " parameter " << i);
      CHECK(max_diff(graph.weights[step][i], eager.weights[step][i]) <= tol);
    }
  }
  const auto ge = load_training_checkpoint(graph.dir / "last.pth");
  const auto ee = load_training_checkpoint(eager.dir / "last.pth");
  CHECK(ge.step == ee.step);
  CHECK(ge.loader_next_batch == ee.loader_next_batch);
  CHECK(std::abs(ge.progress.loss_sum - ee.progress.loss_sum) <= 1e-4 * std::abs(ee.progress.loss_sum));
  CHECK(std::abs(ge.progress.norm_sum - ee.progress.norm_sum) <= 1e-4 * std::abs(ee.progress.norm_sum));
  CHECK(ge.progress.norm_count == ee.progress.norm_count);
  REQUIRE(ge.model_ema);
  REQUIRE(ee.model_ema);
  for (size_t i = 0; i < ee.model_ema->size(); ++i) {
    INFO("EMA " << (*ee.model_ema)[i].first);
    CHECK(max_diff((*ge.model_ema)[i].second, (*ee.model_ema)[i].second) <= tol);
  }
  const auto gs = ge.optimizer.toGenericDict().at("state").toGenericDict();
  const auto es = ee.optimizer.toGenericDict().at("state").toGenericDict();
  REQUIRE(gs.size() == es.size());
  for (const auto& entry : es) {
    const auto e = entry.value().toGenericDict();
    const auto g = gs.at(entry.key()).toGenericDict();
    CHECK(g.at("step").toTensor().item<double>() == e.at("step").toTensor().item<double>());
    CHECK(max_diff(g.at("exp_avg").toTensor(), e.at("exp_avg").toTensor()) <= 10 * tol);
  }
}

}  // namespace

// The TRAIN.CUDA_GRAPH path without the capture (static buffers, LR tensors, the step closure and the loop's
// bookkeeping), on the CPU, against the eager loop: only the LR's float32 rounding differs.
TEST_CASE("the TRAIN.CUDA_GRAPH path, not captured, trains as the eager loop on the CPU",
          "[train][cuda_graph]") {
  const auto eager = train_six_steps("cpu_eager", "cpu", {});
  const auto graph = train_six_steps("cpu_graph", "cpu", {"TRAIN.CUDA_GRAPH", "True"}, /*capture=*/false);
  CHECK_THAT(log_text(graph.dir), Catch::Contains("TRAIN.CUDA_GRAPH: the training step"));
  check_same_training(eager, graph, 1e-6);
}

// Two runs of the same seed on the GPU, stepped eagerly and through the captured graph. Six steps: three
// eager warm-up steps, the captured step and two replays.
TEST_CASE("a training step captured in a CUDA graph trains as the eager step", "[train][cuda_graph][cuda]") {
  REQUIRE(torch::cuda::is_available());
  for (const std::string amp : {"off", "fp16"}) {
    SECTION("TRAIN.AMP " + amp) {
      const auto eager = train_six_steps("eager_" + amp, "cuda", {"TRAIN.AMP", amp});
      const auto graph =
          train_six_steps("graph_" + amp, "cuda", {"TRAIN.AMP", amp, "TRAIN.CUDA_GRAPH", "True"});
      CHECK_THAT(log_text(graph.dir), Catch::Contains("step 3 captured after 3 eager warm-up steps"));
      // The LR of the first steps is ~1e-4 (the scaled warm-up): 1e-6 is a hundredth of one step's update.
      check_same_training(eager, graph, amp == "off" ? 1e-6 : 1e-5);
    }
  }
}
