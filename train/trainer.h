#pragma once
// The training driver: the original main.py loop (AdamW, per-iteration cosine schedule with warm-up, label
// smoothing or soft-target loss under Mixup/CutMix, gradient clipping and accumulation) with EMA weights,
// mixed precision, validation of model and EMA every epoch, checkpoints that resume bit-exactly (also in
// the middle of an epoch), fine-tuning from released weights, and the run's logs, CSV, TensorBoard events
// and plot. Everything goes to the run folder <OUTPUT>; only rank 0 writes.
#include "focal/config/config.h"
#include "focal/layers/backbone/classifier.h"
#include "train/distributed.h"
#include "train/evaluate.h"
#include "train/recipe/train_settings.h"

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include "train/output/run_log.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace focal::train {

struct TrainingCheckpoint;

struct TrainerOptions {
  // "cpu", "cuda" or "cuda:N".
  TORCH_ARG(std::string, device) = "cpu";
  // Stop as an interruption would after this many optimizer steps of this process (0: never): last.pth is
  // written with the exact position and run() returns. Lets tests and schedulers cut a run anywhere.
  TORCH_ARG(int64_t, stop_after_steps) = 0;
  // Samples per split when DATA.DATASET is "synthetic".
  TORCH_ARG(int64_t, synthetic_size) = 1024;
  // Log to the console as well as to log.txt.
  TORCH_ARG(bool, console) = true;
  // The original's --local_rank, for launchers that pass it instead of setting LOCAL_RANK.
  TORCH_ARG(std::optional<int64_t>, local_rank) = std::nullopt;
  // false (--no-resume-opt): a run resumed from MODEL.RESUME takes the checkpoint's weights, epoch and LR
  // position but starts a fresh optimizer and loss scaler, as timm's --no-resume-opt. It does not apply to
  // the run folder's own last.pth (auto-resume), whose optimizer is this run's.
  TORCH_ARG(bool, resume_optimizer) = true;
  // Called right after every optimizer step, before the LR and EMA updates, with the step index (counted over
  // all runs of the folder, from 0) and the model and optimizer just stepped: tests read the LR that step
  // used and the weights it produced. Under TRAIN.CUDA_GRAPH the EMA update is part of the captured step and
  // has happened when the observer runs.
  using StepObserver =
      std::function<void(int64_t step, torch::nn::Module& model, torch::optim::Optimizer& optimizer)>;
  TORCH_ARG(StepObserver, step_observer);
  // false: under TRAIN.CUDA_GRAPH the step is never captured but run eagerly through the same path (static
  // buffers, LR tensors, bookkeeping), on any device: lets tests compare that path with the eager loop on
  // the CPU.
  TORCH_ARG(bool, cuda_graph_capture) = true;
};

struct TrainResult {
  bool completed = false;    // every epoch of TRAIN.EPOCHS is done
  bool interrupted = false;  // stopped early (request_stop or stop_after_steps), last.pth written
  int64_t next_epoch = 0;    // the epoch a resumed run starts with
  int64_t steps = 0;         // optimizer steps in total (all runs of this folder)
  double max_accuracy = 0;
  double max_accuracy_ema = 0;
  std::optional<EvalResult> last_eval;
  std::optional<EvalResult> last_eval_ema;
  double throughput = 0;  // images/s in THROUGHPUT_MODE
};

class Trainer {
 public:
  // Resolves the settings, creates the run folder and checks that it is writable, opens the log and writes
  // config.yaml; throws before any training when something is wrong.
  explicit Trainer(Config config, TrainerOptions options = {});
  ~Trainer();

  TrainResult run();
  // Thread-safe: the loop finishes its current optimizer step, writes last.pth and returns.
  void request_stop() { stop_requested_.store(true); }

  const std::filesystem::path& run_dir() const { return run_dir_; }
  const TrainSettings& settings() const { return settings_; }
  RunLog& log() { return *logger_; }

 private:
  struct State;
  void build(State& s);
  // Several processes: the same run on every rank, rank 0's weights, and the gradient reducer.
  void setup_distributed(State& s);
  // Several processes: every rank's weights and EMA must be bitwise equal (checked after every epoch).
  void check_replicas(State& s);
  // Resuming a checkpoint of another world size: from its epoch boundary, LR schedule re-positioned.
  void adapt_resume_to_world_size(State& s, const TrainingCheckpoint& ck, const std::string& source);
  void load_resume(State& s, const std::filesystem::path& path);
  void train_epoch(State& s, int64_t epoch, int64_t first_batch, TrainResult& result);
  // The forward pass and the loss under the run's autocast, for the eager and the CUDA-graph step alike.
  std::pair<torch::Tensor, torch::Tensor> forward_loss(State& s, const torch::Tensor& images,
                                                       const torch::Tensor& targets) const;
  void end_epoch(State& s, int64_t epoch, TrainResult& result);
  void save_checkpoint(State& s, const std::filesystem::path& path, int64_t completed_epoch,
                       int64_t loader_epoch, int64_t loader_next_batch);
  double measure_throughput(State& s);
  std::optional<std::filesystem::path> resume_file() const;

  Config config_;
  TrainerOptions options_;
  DistributedContext dist_;
  TrainSettings settings_;
  std::filesystem::path run_dir_;
  std::vector<std::filesystem::path> created_dirs_;  // by this run's constructor; removed if it fails early
  torch::Device device_;
  std::unique_ptr<RunLog> logger_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace focal::train
