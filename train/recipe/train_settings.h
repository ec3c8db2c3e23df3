#pragma once
// Everything the training loop reads from the configuration, resolved once: the LR scaled by batch and
// accumulation (original main.py), the schedule in iterations, the loss, mixed precision, EMA, data and
// Mixup settings. Invalid values throw focal::ConfigError naming the key.
#include "data/loading/data_factory.h"
#include "focal/config/config.h"
#include "train/distributed.h"
#include "train/recipe/amp_mode.h"
#include "train/recipe/lr_scheduler.h"
#include "train/recipe/optimizer_factory.h"

#include <cstdint>
#include <optional>
#include <string>

namespace focal::train {

struct TrainSettings {
  std::string model_name;
  int64_t epochs = 300;
  int64_t warmup_epochs = 20;
  int64_t accumulation_steps = 1;                 // TRAIN.ACCUMULATION_STEPS, 0 read as 1
  double clip_grad = 5.0;                         // <= 0: no clipping
  double base_lr = 0, warmup_lr = 0, min_lr = 0;  // after linear scaling
  OptimizerOptions optimizer;
  std::string lr_scheduler = "cosine";
  int64_t decay_epochs = 30;
  double decay_rate = 0.1;
  double label_smoothing = 0.1;
  AmpMode amp = AmpMode::kOff;
  bool ema = false;
  double ema_decay = 0.9998;
  bool use_checkpoint = false;
  bool cuda_graph = false;  // TRAIN.CUDA_GRAPH: the step captured once and replayed (train/cuda_graph_step.h)
  bool auto_resume = true;
  std::string resume;      // MODEL.RESUME
  std::string pretrained;  // TRAIN.PRETRAINED
  int64_t save_freq = 1;
  int64_t print_freq = 100;
  int64_t seed = 0;
  bool eval_mode = false;
  bool throughput_mode = false;
  // DIST.*: the gradient reducer of a data-parallel run.
  int64_t dist_bucket_cap_mb = 25;
  bool dist_bf16_compress = false;
  bool dist_find_unused_parameters = false;
  bool dist_broadcast_buffers = true;
  data::DataConfig train_data;
  data::DataConfig val_data;
  std::optional<data::MixupOptions> mixup;  // set when AUG.MIXUP > 0, AUG.CUTMIX > 0 or CUTMIX_MINMAX given
};

TrainSettings settings_from_config(const Config& config, const DistributedContext& dist);

// The LR schedule of the original build_scheduler for `iterations_per_epoch` loader batches:
// t_initial = epochs * n, warmup_t = warmup_epochs * n, stepped per iteration.
LrSchedulerOptions scheduler_options(const TrainSettings& settings, int64_t iterations_per_epoch);

}  // namespace focal::train
