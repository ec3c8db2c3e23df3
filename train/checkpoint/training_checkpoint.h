#pragma once
// The training checkpoint: everything a run needs to continue exactly where it stopped, in one torch.save
// file (zip format) that Python's torch.load opens (weights_only=True) and our reader reads back:
//   model, model_ema        state dicts (name -> tensor); model_ema only with TRAIN.EMA.ENABLE
//   optimizer               PyTorch layout: {"state": {i: {step, exp_avg, exp_avg_sq}}, "param_groups":
//   [...]} lr_scheduler, scaler    their state dicts epoch                   last completed epoch (-1 when
//   stopped inside the first one) step                    optimizer steps taken max_accuracy(_ema)      best
//   validation top-1 so far rng                     {"torch": CPU generator state, "cuda": CUDA generator
//   state (GPU runs),
//                            "mixup": the Mixup generator state, "loader": {"epoch", "next_batch"}}
//   epoch_progress          running sums of the epoch in progress (a mid-epoch stop)
//   config                  the resolved configuration as YAML text
// --resume and --eval also take what --pretrained takes: weights only (a released checkpoint, a bare state
// dict, or one under model / state_dict / model_ema / state_dict_ema, with or without `module.`).
#include "focal/io/state_dict.h"

#include <ATen/core/ivalue.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace focal::train {

struct EpochProgress {
  double loss_sum = 0, loss_count = 0;
  double norm_sum = 0, norm_count = 0;
  double images = 0, seconds = 0;
};

// One process's random generators (a data-parallel run saves every rank's, so that it resumes exactly).
struct RankRng {
  torch::Tensor torch, cuda, mixup;  // cuda/mixup undefined when unused
};

struct TrainingCheckpoint {
  io::StateDict model;
  std::optional<io::StateDict> model_ema;
  c10::IValue optimizer;
  c10::IValue lr_scheduler;
  c10::IValue scaler;
  int64_t epoch = -1;
  int64_t step = 0;
  double max_accuracy = 0.0;
  double max_accuracy_ema = 0.0;
  torch::Tensor rng_torch;
  torch::Tensor rng_cuda;   // undefined when the run had no GPU
  torch::Tensor rng_mixup;  // undefined without Mixup/CutMix
  int64_t loader_epoch = 0;
  int64_t loader_next_batch = 0;
  EpochProgress progress;
  std::string config_yaml;
  int64_t world_size = 1;         // processes of the run that wrote it ("world_size")
  std::vector<RankRng> rank_rng;  // every rank's generators, rank order ("rng"/"ranks"); empty for 1 process
  // The file holds weights only (no optimizer, lr_scheduler and epoch, all three of which the original
  // main.py needs to resume training): a run resumed from it starts at epoch 0 with a fresh optimizer.
  bool weights_only = false;
  std::string layout;  // what the file held, for the log: "training checkpoint", "weights only (...)"
};

c10::IValue checkpoint_to_ivalue(const TrainingCheckpoint& checkpoint);
// Throws naming `source` and the key when something needed is missing or mistyped. Checkpoints written by
// the original script (no rng, no step) load with defaults for what they lack; their step count is the
// optimizer state's.
TrainingCheckpoint checkpoint_from_ivalue(const c10::IValue& value, const std::string& source);
// Any layout: a training checkpoint (ours or the original's: 'model', 'optimizer', 'lr_scheduler' and
// 'epoch') as checkpoint_from_ivalue, anything else as weights only (io::extract_state_dict, plus the
// EMA weights under model_ema / state_dict_ema when the file has them beside the model's).
TrainingCheckpoint resume_checkpoint_from_ivalue(const c10::IValue& value, const std::string& source);

// How a checkpoint's optimizer state (PyTorch layout) differs from `optimizer` in its parameter groups, in a
// user's words ("the checkpoint's optimizer has 1 parameter group (154 tensors), this run's has 2 (45 with
// weight decay 0.05, 109 with weight decay 0)"); none when the groups match in number and size.
std::optional<std::string> optimizer_state_mismatch(const torch::optim::Optimizer& optimizer,
                                                    const c10::IValue& state);

// Writes through a temporary file and a rename (focal_io's writer).
void save_training_checkpoint(const std::filesystem::path& path, const TrainingCheckpoint& checkpoint);
// Reads any layout (resume_checkpoint_from_ivalue); throws naming the file when it is missing or unreadable.
TrainingCheckpoint load_training_checkpoint(const std::filesystem::path& path);

}  // namespace focal::train
