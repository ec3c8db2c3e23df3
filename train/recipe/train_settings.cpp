#include "train/recipe/train_settings.h"

#include "train/recipe/lr_scaling.h"

#include <cmath>

namespace focal::train {

namespace {

void require(bool ok, const std::string& key, const std::string& problem) {
  if (!ok) throw ConfigError("configuration key " + key + ": " + problem);
}

data::DataConfig data_config(const Config& c, const DistributedContext& dist) {
  data::DataConfig d;
  d.dataset = c.get<std::string>("DATA.DATASET");
  if (d.dataset == "imagewoof") d.dataset = "imagenet";  // same folder layout, 10 classes
  d.data_path = c.get<std::string>("DATA.DATA_PATH");
  d.img_size = c.get<int64_t>("DATA.IMG_SIZE");
  d.interpolation = c.get<std::string>("DATA.INTERPOLATION");
  d.test_crop = c.get<bool>("TEST.CROP");
  d.in_chans = c.get<int64_t>("MODEL.FOCAL.IN_CHANS");
  d.num_classes = c.get<int64_t>("MODEL.NUM_CLASSES");
  d.color_jitter = c.get<double>("AUG.COLOR_JITTER");
  d.auto_augment = c.get<std::string>("AUG.AUTO_AUGMENT");
  d.reprob = c.get<double>("AUG.REPROB");
  d.remode = c.get<std::string>("AUG.REMODE");
  d.recount = c.get<int64_t>("AUG.RECOUNT");
  // The original build_transform does not random-resize-crop images of 32 pixels or less (it pads and
  // crops instead); our loader has no such crop, so small images train on the plain resize.
  d.train_augment = d.img_size > 32;
  d.batch_size = c.get<int64_t>("DATA.BATCH_SIZE");
  d.num_workers = c.get<int64_t>("DATA.NUM_WORKERS");
  d.pin_memory = c.get<bool>("DATA.PIN_MEMORY");
  d.max_image_pixels = c.get<int64_t>("DATA.MAX_IMAGE_PIXELS");
  d.max_unreadable_share = c.get<double>("DATA.MAX_UNREADABLE_SHARE");
  require(d.max_image_pixels > 0, "DATA.MAX_IMAGE_PIXELS", "must be positive");
  require(d.max_unreadable_share >= 0 && d.max_unreadable_share <= 1, "DATA.MAX_UNREADABLE_SHARE",
          "must lie in [0, 1]");
  d.seed = static_cast<uint64_t>(c.get<int64_t>("SEED"));
  d.rank = dist.rank;
  d.world_size = dist.world_size;
  require(d.batch_size > 0, "DATA.BATCH_SIZE", "must be positive");
  require(d.num_workers >= 0, "DATA.NUM_WORKERS", "must not be negative");
  require(d.img_size > 0, "DATA.IMG_SIZE", "must be positive");
  return d;
}

}  // namespace

TrainSettings settings_from_config(const Config& c, const DistributedContext& dist) {
  TrainSettings s;
  s.model_name = c.get<std::string>("MODEL.NAME");
  s.epochs = c.get<int64_t>("TRAIN.EPOCHS");
  s.warmup_epochs = c.get<int64_t>("TRAIN.WARMUP_EPOCHS");
  require(s.epochs > 0, "TRAIN.EPOCHS", "must be positive");
  require(s.warmup_epochs >= 0, "TRAIN.WARMUP_EPOCHS", "must not be negative");
  s.accumulation_steps = std::max<int64_t>(1, c.get<int64_t>("TRAIN.ACCUMULATION_STEPS"));
  s.clip_grad = c.get<double>("TRAIN.CLIP_GRAD");

  s.train_data = data_config(c, dist);
  s.val_data = s.train_data;
  auto lr = linear_scaled_lr(c.get<double>("TRAIN.BASE_LR"), c.get<double>("TRAIN.WARMUP_LR"),
                             c.get<double>("TRAIN.MIN_LR"), s.train_data.batch_size, dist.world_size,
                             c.get<int64_t>("TRAIN.ACCUMULATION_STEPS"));
  s.base_lr = lr.base;
  s.warmup_lr = lr.warmup;
  s.min_lr = lr.min;

  auto betas = c.get<std::vector<double>>("TRAIN.OPTIMIZER.BETAS");
  require(betas.size() == 2, "TRAIN.OPTIMIZER.BETAS", "needs two values");
  s.optimizer = OptimizerOptions()
                    .name(c.get<std::string>("TRAIN.OPTIMIZER.NAME"))
                    .lr(s.base_lr)
                    .weight_decay(c.get<double>("TRAIN.WEIGHT_DECAY"))
                    .eps(c.get<double>("TRAIN.OPTIMIZER.EPS"))
                    .beta1(betas[0])
                    .beta2(betas[1])
                    .momentum(c.get<double>("TRAIN.OPTIMIZER.MOMENTUM"));
  require(s.optimizer.name() == "adamw" || s.optimizer.name() == "sgd", "TRAIN.OPTIMIZER.NAME",
          "'" + s.optimizer.name() + "' is not supported (adamw or sgd)");
  s.lr_scheduler = c.get<std::string>("TRAIN.LR_SCHEDULER.NAME");
  require(s.lr_scheduler == "cosine" || s.lr_scheduler == "linear" || s.lr_scheduler == "step",
          "TRAIN.LR_SCHEDULER.NAME", "'" + s.lr_scheduler + "' is not supported (cosine, linear or step)");
  s.decay_epochs = c.get<int64_t>("TRAIN.LR_SCHEDULER.DECAY_EPOCHS");
  s.decay_rate = c.get<double>("TRAIN.LR_SCHEDULER.DECAY_RATE");

  s.label_smoothing = c.get<double>("MODEL.LABEL_SMOOTHING");
  require(s.label_smoothing >= 0 && s.label_smoothing < 1, "MODEL.LABEL_SMOOTHING", "must lie in [0, 1)");
  s.amp = parse_amp_mode(c.get<std::string>("TRAIN.AMP"), "configuration key TRAIN.AMP");
  s.ema = c.get<bool>("TRAIN.EMA.ENABLE");
  s.ema_decay = c.get<double>("TRAIN.EMA.DECAY");
  require(s.ema_decay >= 0 && s.ema_decay <= 1, "TRAIN.EMA.DECAY", "must lie in [0, 1]");
  s.use_checkpoint = c.get<bool>("TRAIN.USE_CHECKPOINT");
  s.cuda_graph = c.get<bool>("TRAIN.CUDA_GRAPH");
  s.auto_resume = c.get<bool>("TRAIN.AUTO_RESUME");
  s.resume = c.get<std::string>("MODEL.RESUME");
  s.pretrained = c.get<std::string>("TRAIN.PRETRAINED");
  s.save_freq = c.get<int64_t>("SAVE_FREQ");
  s.print_freq = c.get<int64_t>("PRINT_FREQ");
  require(s.save_freq > 0, "SAVE_FREQ", "must be positive");
  require(s.print_freq > 0, "PRINT_FREQ", "must be positive");
  s.seed = c.get<int64_t>("SEED");
  s.eval_mode = c.get<bool>("EVAL_MODE");
  s.throughput_mode = c.get<bool>("THROUGHPUT_MODE");
  s.dist_bucket_cap_mb = c.get<int64_t>("DIST.BUCKET_CAP_MB");
  require(s.dist_bucket_cap_mb > 0, "DIST.BUCKET_CAP_MB", "must be positive");
  s.dist_bf16_compress = c.get<bool>("DIST.BF16_COMPRESS");
  s.dist_find_unused_parameters = c.get<bool>("DIST.FIND_UNUSED_PARAMETERS");
  s.dist_broadcast_buffers = c.get<bool>("DIST.BROADCAST_BUFFERS");

  const double mixup = c.get<double>("AUG.MIXUP");
  const double cutmix = c.get<double>("AUG.CUTMIX");
  auto minmax = c.get_optional<std::vector<double>>("AUG.CUTMIX_MINMAX");
  if (mixup > 0 || cutmix > 0 || minmax) {
    data::MixupOptions m;
    m.mixup_alpha = mixup;
    m.cutmix_alpha = cutmix;
    if (minmax) {
      require(minmax->size() == 2, "AUG.CUTMIX_MINMAX", "needs two values (min and max ratio)");
      m.cutmix_minmax = *minmax;
    }
    m.prob = c.get<double>("AUG.MIXUP_PROB");
    m.switch_prob = c.get<double>("AUG.MIXUP_SWITCH_PROB");
    m.mode = c.get<std::string>("AUG.MIXUP_MODE");
    m.label_smoothing = s.label_smoothing;
    m.num_classes = c.get<int64_t>("MODEL.NUM_CLASSES");
    require(s.train_data.batch_size % 2 == 0, "DATA.BATCH_SIZE",
            "must be even when Mixup/CutMix is on (AUG.MIXUP / AUG.CUTMIX), got " +
                std::to_string(s.train_data.batch_size));
    s.mixup = m;
  }
  return s;
}

LrSchedulerOptions scheduler_options(const TrainSettings& s, int64_t iterations_per_epoch) {
  return LrSchedulerOptions()
      .name(s.lr_scheduler)
      .t_initial(s.epochs * iterations_per_epoch)
      .lr_min(s.min_lr)
      .warmup_t(s.warmup_epochs * iterations_per_epoch)
      .warmup_lr_init(s.warmup_lr)
      .cycle_limit(1)
      .decay_t(s.decay_epochs * iterations_per_epoch)
      .decay_rate(s.decay_rate);
}

}  // namespace focal::train
