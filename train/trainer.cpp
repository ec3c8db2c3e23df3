#include "train/trainer.h"

#include "focal/io/state_dict.h"
#include "focal/runtime/autocast_scope.h"
#include "focal/runtime/device.h"
#include "focal/zoo/model_zoo.h"
#include "train/checkpoint/atomic_file.h"
#include "train/checkpoint/pretrained_loader.h"
#include "train/checkpoint/training_checkpoint.h"
#include "train/cuda_graph_step.h"
#include "train/device_prefetcher.h"
#include "train/distributed/communicator.h"
#include "train/distributed/gradient_reducer.h"
#include "train/distributed/rank_rng.h"
#include "train/distributed/run_consistency.h"
#include "train/metrics.h"
#include "train/output/crc32c.h"
#include "train/output/metrics_csv.h"
#include "train/output/output_dir.h"
#include "train/output/resource_usage.h"
#include "train/output/tensorboard_writer.h"
#include "train/output/text_format.h"
#include "train/output/training_plot.h"
#include "train/recipe/criterion.h"
#include "train/recipe/grad_norm.h"
#include "train/recipe/grad_scaler.h"
#include "train/recipe/model_ema.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <tuple>

namespace focal::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long long ll(int64_t v) { return static_cast<long long>(v); }

std::vector<torch::Tensor> trainable_parameters(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) {
    if (p.requires_grad()) out.push_back(p);
  }
  return out;
}

// Sets this process's generators (undefined states are left alone).
void restore_generators(const RankRng& r, const torch::Device& device, torch::Generator& mixup) {
  if (r.torch.defined()) {
    auto cpu = at::detail::getDefaultCPUGenerator();  // a handle sharing the global generator
    cpu.set_state(r.torch);
  }
  if (r.cuda.defined() && device.is_cuda()) {
    auto cuda = at::globalContext().defaultGenerator(device);
    cuda.set_state(r.cuda);
  }
  if (r.mixup.defined()) mixup.set_state(r.mixup);
}

// Gives a finished checkpoint another name: a hard link where the filesystem allows (last, best and
// ckpt_epoch_N then share one file's disk space; last.pth is always replaced by a new file, never modified),
// else a copy through a temporary file. Errors name the target and say why (a full disk).
void copy_checkpoint(const std::filesystem::path& from, const std::filesystem::path& to) {
  io::link_or_copy_file(from, to);
}

}  // namespace

// Everything a run builds; lives for one run().
struct Trainer::State {
  Classifier model;
  Classifier ema_model;
  std::unique_ptr<ModelEma> ema;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<LrScheduler> scheduler;
  std::unique_ptr<GradScaler> scaler;
  Criterion criterion;
  std::optional<data::Mixup> mixup;
  torch::Generator mixup_gen;
  std::unique_ptr<data::Loader> train_loader;
  std::unique_ptr<data::Loader> val_loader;
  std::vector<torch::Tensor> params;
  std::unique_ptr<TensorBoardWriter> tb;
  std::vector<EpochRecord> history;
  int64_t steps = 0;
  int64_t steps_this_process = 0;
  double max_accuracy = 0, max_accuracy_ema = 0;
  int64_t start_epoch = 0, first_batch = 0;
  EpochProgress progress;
  double last_grad_norm = 0;
  std::unique_ptr<GradientReducer> reducer;   // data parallel only
  std::vector<torch::Tensor> synced_buffers;  // running statistics broadcast from rank 0 before forward
  std::unique_ptr<CudaGraphStep> graph_step;  // TRAIN.CUDA_GRAPH; last, so that it goes first
};

Trainer::Trainer(Config config, TrainerOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      dist_(init_distributed(config_, options_.device(), options_.local_rank())),
      settings_(settings_from_config(config_, dist_)),
      device_(parse_device(device_for_rank(options_.device(), dist_))) {
  run_dir_ = config_.get<std::string>("OUTPUT");
  if (run_dir_.empty()) {
    run_dir_ = run_directory("output", settings_.model_name, config_.get<std::string>("TAG"));
    config_.set("OUTPUT", "'" + run_dir_.string() + "'");
  }
  // float16 autocast is a GPU feature: on the CPU it runs several times slower than float32.
  if (settings_.amp == AmpMode::kFp16 && !device_.is_cuda()) {
    throw ConfigError(
        "TRAIN.AMP fp16 (--amp fp16) needs a CUDA device: on the CPU float16 autocast runs several times "
        "slower than float32; use --amp off there (or bf16, see the warning it gives)");
  }
  // Before the run folder exists: a run that cannot capture its step starts nothing.
  if (!settings_.eval_mode && !settings_.throughput_mode) {
    check_cuda_graph_supported(settings_, device_, dist_.world_size, options_.cuda_graph_capture());
  }
  if (dist_.is_main()) created_dirs_ = prepare_output_dir(run_dir_);
  // A run killed while writing leaves "<file>.tmp<pid>"; the file itself is whole (the old or the new one).
  const auto stale = dist_.is_main() ? remove_stale_temporaries(run_dir_) : std::vector<std::string>{};
  logger_ = std::make_unique<RunLog>(dist_.is_main() ? run_dir_ / "log.txt" : std::filesystem::path(),
                                     options_.console(), dist_.is_main());
  for (const auto& name : stale) logger_->warn("removed " + name + ", left by a run killed while writing it");
  if (settings_.amp == AmpMode::kBf16 && !device_.is_cuda()) {
    logger_->warn(
        "TRAIN.AMP bf16 on the CPU: bfloat16 autocast is usually slower than float32 on CPUs without "
        "AVX512-BF16/AMX (about 4x on the project's 2-core x86-64 machine); --amp off is faster there");
  }
  if (settings_.train_data.dataset == "synthetic") {
    settings_.train_data.synthetic_size = options_.synthetic_size();
    settings_.val_data.synthetic_size = options_.synthetic_size();
  }
  if (dist_.is_main()) {
    config_.save((run_dir_ / "config.yaml").string());
    logger_->info("Full config saved to " + (run_dir_ / "config.yaml").string());
    logger_->info(config_.dump());
  }
}

Trainer::~Trainer() = default;

std::optional<std::filesystem::path> Trainer::resume_file() const {
  // --eval evaluates the file it names, even in a run folder that holds a last.pth.
  if (settings_.eval_mode && !settings_.resume.empty()) return std::filesystem::path(settings_.resume);
  if (settings_.auto_resume && std::filesystem::exists(run_dir_ / "last.pth")) {
    if (!settings_.resume.empty()) {
      logger_->warn("auto-resume changes the resume file from " + settings_.resume + " to " +
                    (run_dir_ / "last.pth").string());
    }
    return run_dir_ / "last.pth";
  }
  if (!settings_.resume.empty()) return std::filesystem::path(settings_.resume);
  return std::nullopt;
}

void Trainer::build(State& s) {
  const auto& st = settings_;
  torch::manual_seed(static_cast<uint64_t>(st.seed + dist_.rank));

  s.train_loader = data::build_train_loader(st.train_data);
  s.val_loader = data::build_val_loader(st.val_data);
  logger_->info(strformat("data: %lld train images (%lld batches of %lld), %lld validation images",
                          ll(s.train_loader->num_samples()), ll(s.train_loader->batches_per_epoch()),
                          ll(st.train_data.batch_size), ll(s.val_loader->num_samples())));
  if (s.train_loader->batches_per_epoch() < 1) {
    throw std::runtime_error("DATA.BATCH_SIZE " + std::to_string(st.train_data.batch_size) +
                             " is larger than the training set of this process (" +
                             std::to_string(s.train_loader->num_samples()) + " images)");
  }
  // Labels must fit the head: found here, not as a label error inside the first training step.
  const int64_t data_classes = std::max(s.train_loader->num_classes(), s.val_loader->num_classes());
  if (data_classes > st.train_data.num_classes) {
    const std::string where = st.train_data.dataset == "synthetic" ? std::string("DATA.DATASET synthetic")
                                                                   : "DATA.DATASET " + st.train_data.dataset +
                                                                         " at " + st.train_data.data_path;
    throw ConfigError(
        strformat("MODEL.NUM_CLASSES is %lld, but the data set (%s) has %lld classes: its labels "
                  "would fall outside the head's [0, %lld); set --num-classes %lld (or "
                  "--opts MODEL.NUM_CLASSES %lld)",
                  ll(st.train_data.num_classes), where.c_str(), ll(data_classes),
                  ll(st.train_data.num_classes), ll(data_classes), ll(data_classes)));
  }
  if (st.train_data.dataset == "folder") {
    logger_->warn(
        "DATA.DATASET folder has no validation split: validation runs on the training images of " +
        st.train_data.data_path +
        " (top-1 is training accuracy; use DATA.DATASET imagenet with train/ and val/ folders for a "
        "held-out set)");
  }
  if (!st.train_data.train_augment) {
    logger_->info(strformat(
        "DATA.IMG_SIZE %lld <= 32: training images get the evaluation transform only (resize, normalise): "
        "no crop, flip, colour jitter, RandAugment or random erasing. The original replaces the "
        "random-resized "
        "crop by a random crop padded by 4 pixels and keeps the other augmentations",
        ll(st.train_data.img_size)));
  }

  logger_->info("Creating model: " + config_.get<std::string>("MODEL.TYPE") + "/" + st.model_name);
  s.model = create_model_from_config(config_);
  s.model->set_grad_checkpointing(st.use_checkpoint);
  int64_t n_params = 0;
  for (const auto& p : s.model->parameters()) n_params += p.requires_grad() ? p.numel() : 0;
  logger_->info(strformat("number of params: %lld", ll(n_params)));

  if (!st.pretrained.empty() && !resume_file()) {
    logger_->info("Loading weights " + st.pretrained + " for fine-tuning");
    auto report = load_pretrained(*s.model, st.pretrained);
    logger_->info("pretrained weights: " + report.summary());
  }
  s.model->to(device_);
  if (device_.is_cuda()) {
    // Left at PyTorch's defaults, as the original trains: float32 matmuls without TF32, cuDNN convolutions
    // with it. Under TRAIN.AMP bf16/fp16 the matmuls run in the half type and TF32 does not apply. Parity
    // checks (tests, focal-verify, scripts/device_check.sh) switch both off.
    logger_->info(strformat("TF32: matmul %s, cuDNN %s (PyTorch's defaults)",
                            at::globalContext().allowTF32CuBLAS() ? "on" : "off",
                            at::globalContext().allowTF32CuDNN() ? "on" : "off"));
  }

  if (st.ema) {
    s.ema_model = create_model_from_config(config_);
    s.ema_model->to(device_);
    s.ema = std::make_unique<ModelEma>(s.ema_model, st.ema_decay);
    s.ema->set(*s.model);
    logger_->info(strformat("EMA of the weights, decay %g", st.ema_decay));
  }

  auto split = split_weight_decay(*s.model, s.model->no_weight_decay(), s.model->no_weight_decay_keywords());
  logger_->info(
      strformat("weight decay on %zu tensors, none on %zu", split.decay.size(), split.no_decay.size()));
  s.optimizer = build_optimizer(st.optimizer, split);
  s.params = trainable_parameters(*s.model);
  s.scheduler =
      std::make_unique<LrScheduler>(*s.optimizer, scheduler_options(st, s.train_loader->batches_per_epoch()));
  s.scaler = std::make_unique<GradScaler>(GradScalerOptions().enabled(st.amp == AmpMode::kFp16));
  s.criterion = select_criterion(st.mixup.has_value(), st.label_smoothing);
  if (st.mixup) s.mixup.emplace(*st.mixup);
  if (st.cuda_graph && !st.eval_mode && !st.throughput_mode) {
    auto* fused = dynamic_cast<FusedAdamW*>(s.optimizer.get());
    if (fused == nullptr) throw ConfigError("TRAIN.CUDA_GRAPH True needs the fused AdamW optimizer");
    // The step of train_epoch's eager path for one process without accumulation, with nothing that reads
    // back to the host: the skip of an fp16 overflow and the clipping factor stay on the device.
    auto step = [this, &s](const torch::Tensor& images, const torch::Tensor& targets) {
      CudaGraphStep::Outputs out;
      const auto loss = forward_loss(s, images, targets).second;  // ()
      s.scaler->scale(loss).backward();
      if (s.scaler->enabled()) s.scaler->unscale_async(s.params);
      out.norm = clip_grad_norm_tensor(s.params, settings_.clip_grad);  // () before clipping
      s.scaler->step_async(*s.optimizer);
      s.scaler->update();
      if (s.ema) s.ema->update(*s.model);
      out.loss = loss.detach();
      return out;
    };
    s.graph_step = std::make_unique<CudaGraphStep>(
        step, *fused, device_, CudaGraphStepOptions().capture(options_.cuda_graph_capture()));
    logger_->info(strformat(
        "TRAIN.CUDA_GRAPH: the training step (forward, loss, backward, clipping, fused AdamW, %sEMA%s) is "
        "captured in a CUDA graph after %lld eager warm-up steps and replayed for every batch",
        s.scaler->enabled() ? "loss scaling, " : "", s.ema ? "" : " off",
        ll(CudaGraphStepOptions().warmup_steps())));
  }
  s.mixup_gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(st.seed + dist_.rank));
  logger_->info(strformat(
      "loss: %s; lr %.3e (warm-up from %.3e, min %.3e), %lld epochs with %lld of warm-up; "
      "mixed precision %s; gradient accumulation %lld; clip %g",
      s.criterion.describe().c_str(), st.base_lr, st.warmup_lr, st.min_lr, ll(st.epochs),
      ll(st.warmup_epochs), amp_mode_name(st.amp).c_str(), ll(st.accumulation_steps), st.clip_grad));
}

void Trainer::load_resume(State& s, const std::filesystem::path& path) {
  logger_->info("Resuming from " + path.string());
  auto ck = load_training_checkpoint(path);
  logger_->info(path.string() + ": " + ck.layout);
  io::load_state_dict(*s.model, ck.model, /*strict=*/true, path.string());
  if (s.ema) {
    if (ck.model_ema) {
      io::load_state_dict(*s.ema_model, *ck.model_ema, /*strict=*/true, path.string() + " (model_ema)");
    } else {
      s.ema->set(*s.model);
      logger_->warn(path.string() + " has no model_ema: the EMA starts from the loaded weights");
    }
  }
  if (settings_.eval_mode) return;  // evaluation needs the weights only, as the original
  if (ck.weights_only) {
    // As the original main.py and timm: the weights, then training from epoch 0 with a fresh optimizer.
    logger_->warn(
        path.string() +
        " holds weights only (no optimizer state, LR schedule and epoch): training starts at epoch 0 "
        "from these weights with a fresh optimizer");
    return;
  }
  const int64_t n = s.train_loader->batches_per_epoch();
  if (ck.loader_next_batch > 0 && ck.loader_next_batch < n) {
    s.start_epoch = ck.loader_epoch;
    s.first_batch = ck.loader_next_batch;
    s.progress = ck.progress;
  } else {
    s.start_epoch = ck.epoch + 1;
    s.first_batch = 0;
  }
  const int64_t position = s.start_epoch * n + s.first_batch;  // LR schedule updates done so far
  // --no-resume-opt is for a foreign checkpoint; this folder's last.pth always has this run's optimizer.
  std::error_code ec;
  const bool own_last = std::filesystem::equivalent(path, run_dir_ / "last.pth", ec);
  if (!options_.resume_optimizer() && own_last) {
    logger_->info("--no-resume-opt: not applied to " + path.string() + ", this run's own checkpoint");
  }
  if (options_.resume_optimizer() || own_last) {
    const std::string hint =
        "; to resume its weights, epoch and LR position with a fresh optimizer, add --no-resume-opt";
    if (auto mismatch = optimizer_state_mismatch(*s.optimizer, ck.optimizer)) {
      throw std::runtime_error(path.string() + ": " + *mismatch + hint);
    }
    try {
      load_optimizer_state_dict(*s.optimizer, settings_.optimizer, ck.optimizer);
      s.scheduler->load_state_dict(ck.lr_scheduler);
    } catch (const std::exception& e) {
      throw std::runtime_error(path.string() + ": " + e.what() + hint);
    }
    s.scaler->load_state_dict(ck.scaler);
    if (s.scheduler->last_update() < 0) {
      // timm's scheduler state has no position; main.py's next step uses the LR its optimizer state saved.
      logger_->info(
          strformat("%s: the LR schedule state records no position (timm's): the next step uses "
                    "the LR saved with the optimizer (%.6g), then the schedule continues at update "
                    "%lld of %lld",
                    path.string().c_str(), s.optimizer->param_groups()[0].options().get_lr(), ll(position),
                    ll(s.scheduler->options().t_initial())));
    }
  } else {
    logger_->warn(
        strformat("--no-resume-opt: %s gives the weights, the epoch and the LR position; the "
                  "optimizer and the loss scale start afresh (LR schedule of this configuration)",
                  path.string().c_str()));
    if (position > 0) s.scheduler->step_update(position - 1);  // the LR an uninterrupted run would have
  }
  s.steps = ck.step;
  s.max_accuracy = ck.max_accuracy;
  s.max_accuracy_ema = ck.max_accuracy_ema;
  // Random state last: building the models above drew from the default generator.
  restore_generators(RankRng{ck.rng_torch, ck.rng_cuda, ck.rng_mixup}, device_, s.mixup_gen);
  adapt_resume_to_world_size(s, ck, path.string());
  if (s.start_epoch >= settings_.epochs) {
    logger_->info(
        strformat("=> %s is the end of the run: all %lld epochs done (step %lld, best top-1 %.2f%%)",
                  path.string().c_str(), ll(settings_.epochs), ll(s.steps), s.max_accuracy));
  } else {
    logger_->info(strformat("=> resumed at epoch %lld batch %lld (step %lld, best top-1 %.2f%%)",
                            ll(s.start_epoch), ll(s.first_batch), ll(s.steps), s.max_accuracy));
  }
}

void Trainer::setup_distributed(State& s) {
  auto& comm = *dist_.comm;
  check_same_run(comm, run_signature(config_.dump(), *s.model));
  broadcast_module(comm, *s.model, "broadcast of rank 0's model");
  if (s.ema) broadcast_module(comm, *s.ema_model, "broadcast of rank 0's EMA weights");
  if (settings_.dist_broadcast_buffers) {
    // The buffers that training changes: BatchNorm's running statistics (HaloNet). The others (index tables,
    // attention masks) are constant and equal since the broadcast above.
    for (const auto& b : s.model->named_buffers()) {
      const std::string& n = b.key();
      const bool running = n.size() >= 12 && (n.compare(n.size() - 12, 12, "running_mean") == 0 ||
                                              n.compare(n.size() - 11, 11, "running_var") == 0);
      if (running && b.value().is_floating_point()) s.synced_buffers.push_back(b.value());
    }
  }
  std::vector<std::string> names;
  for (const auto& p : s.model->named_parameters()) {
    if (p.value().requires_grad()) names.push_back(p.key());
  }
  s.reducer =
      std::make_unique<GradientReducer>(s.params, names, comm,
                                        GradientReducerOptions()
                                            .bucket_cap_mb(settings_.dist_bucket_cap_mb)
                                            .bf16_compress(settings_.dist_bf16_compress)
                                            .find_unused_parameters(settings_.dist_find_unused_parameters));
  logger_->info(
      strformat("data parallel: %lld processes (%s), global batch %lld; %.1f MiB of gradients all-reduced "
                "per step%s in "
                "buckets of %lld MiB overlapping backward; timeout %llds; %d intra-op thread(s) per process",
                ll(dist_.world_size), comm.backend().c_str(),
                ll(settings_.train_data.batch_size * dist_.world_size * settings_.accumulation_steps),
                static_cast<double>(s.reducer->gradient_bytes()) / (1024.0 * 1024.0),
                settings_.dist_bf16_compress ? " (sent as bfloat16)" : "", ll(settings_.dist_bucket_cap_mb),
                ll(config_.get<int64_t>("DIST.TIMEOUT")), torch::get_num_threads()));
}

void Trainer::check_replicas(State& s) {
  // A checksum of the bytes of every weight (and EMA weight): the replicas must agree bit for bit.
  uint32_t crc = 0;
  auto add = [&](torch::nn::Module& m) {
    for (const auto& t : m.parameters()) {
      auto c = t.detach().to(torch::kCPU).contiguous();
      crc = crc32c(c.data_ptr(), c.nbytes()) ^ (crc * 31u);
    }
  };
  add(*s.model);
  if (s.ema) add(*s.ema_model);
  const auto all = dist_.comm->gather_to_main("replica_checksum", std::to_string(crc));
  std::string differing;
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] != all[0]) differing += (differing.empty() ? "" : ", ") + std::to_string(r);
  }
  differing = dist_.comm->share_from_main("replica_verdict", differing);
  if (!differing.empty()) {
    throw std::runtime_error("the weights of rank " + differing +
                             " differ from rank 0's after the epoch: the "
                             "replicas diverged (a non-deterministic reduction or a rank-local change)");
  }
  logger_->info(strformat("weights%s bitwise identical on all %lld ranks (crc32c %08x)",
                          s.ema ? " and EMA" : "", ll(dist_.world_size), crc));
}

void Trainer::adapt_resume_to_world_size(State& s, const TrainingCheckpoint& ck, const std::string& source) {
  auto restore = [&](const RankRng& r) { restore_generators(r, device_, s.mixup_gen); };
  if (ck.world_size == dist_.world_size) {
    const auto rank = static_cast<size_t>(dist_.rank);
    if (rank < ck.rank_rng.size()) restore(ck.rank_rng[rank]);
    return;
  }
  // Another world size: other shards and another global batch, so the data order of an interrupted epoch
  // cannot be continued, and the per-iteration schedule has another number of iterations per epoch.
  const int64_t n = s.train_loader->batches_per_epoch();
  const int64_t resume_epoch = ck.epoch + 1;
  logger_->warn(strformat(
      "%s was written by %lld process(es), this run has %lld: training continues from the checkpoint's "
      "epoch boundary (epoch %lld, batch 0%s) with its weights and optimizer moments; the global batch is "
      "now %lld and the LR schedule is re-positioned for %lld iterations per epoch at the LR scaled for it",
      source.c_str(), ll(ck.world_size), ll(dist_.world_size), ll(resume_epoch),
      s.first_batch > 0 ? ", the partly trained epoch is restarted" : "",
      ll(settings_.train_data.batch_size * dist_.world_size * settings_.accumulation_steps), ll(n)));
  s.start_epoch = resume_epoch;
  s.first_batch = 0;
  s.progress = EpochProgress{};
  for (auto& group : s.optimizer->param_groups()) group.options().set_lr(settings_.base_lr);
  s.scheduler = std::make_unique<LrScheduler>(*s.optimizer, scheduler_options(settings_, n));
  if (resume_epoch > 0) s.scheduler->step_update(resume_epoch * n - 1);
  if (static_cast<size_t>(dist_.rank) < ck.rank_rng.size()) {
    restore(ck.rank_rng[static_cast<size_t>(dist_.rank)]);
  } else if (dist_.rank > 0) {  // a rank the checkpoint did not have: its own seed, not rank 0's state
    torch::manual_seed(static_cast<uint64_t>(settings_.seed + dist_.rank));
    s.mixup_gen.set_current_seed(static_cast<uint64_t>(settings_.seed + dist_.rank));
  }
}

void Trainer::save_checkpoint(State& s, const std::filesystem::path& path, int64_t completed_epoch,
                              int64_t loader_epoch, int64_t loader_next_batch) {
  RankRng mine;
  mine.torch = at::detail::getDefaultCPUGenerator().get_state();
  if (device_.is_cuda()) mine.cuda = at::globalContext().defaultGenerator(device_).get_state();
  if (s.mixup) mine.mixup = s.mixup_gen.get_state();  // restore_generators() is the inverse
  std::vector<RankRng> ranks;
  if (dist_.comm) ranks = gather_rank_rng(*dist_.comm, mine);  // every rank takes part
  if (!dist_.is_main()) return;
  TrainingCheckpoint ck;
  ck.world_size = dist_.world_size;
  ck.rank_rng = std::move(ranks);
  ck.model = io::module_state_dict(*s.model);
  if (s.ema) ck.model_ema = io::module_state_dict(*s.ema_model);
  ck.optimizer = optimizer_state_dict(*s.optimizer, settings_.optimizer);
  ck.lr_scheduler = s.scheduler->state_dict();
  ck.scaler = s.scaler->state_dict();
  ck.epoch = completed_epoch;
  ck.step = s.steps;
  ck.max_accuracy = s.max_accuracy;
  ck.max_accuracy_ema = s.max_accuracy_ema;
  ck.rng_torch = mine.torch;
  ck.rng_cuda = mine.cuda;
  ck.rng_mixup = mine.mixup;
  ck.loader_epoch = loader_epoch;
  ck.loader_next_batch = loader_next_batch;
  ck.progress = s.progress;
  ck.config_yaml = config_.dump();
  save_training_checkpoint(path, ck);
  logger_->info(path.string() + " saved");
}

std::pair<torch::Tensor, torch::Tensor> Trainer::forward_loss(State& s, const torch::Tensor& images,
                                                              const torch::Tensor& targets) const {
  AutocastScope autocast(device_.type(), amp_dtype(settings_.amp));
  auto logits = s.model->forward(images);    // (B, K)
  auto loss = s.criterion(logits, targets);  // ()
  return {logits, loss};
}

void Trainer::train_epoch(State& s, int64_t epoch, int64_t first_batch, TrainResult& result) {
  const auto& st = settings_;
  auto& loader = *s.train_loader;
  const int64_t n = loader.batches_per_epoch();
  const int64_t acc = st.accumulation_steps;
  if (first_batch > 0) {
    loader.restore({epoch, first_batch});
  } else {
    loader.set_epoch(epoch);
    s.progress = EpochProgress{};
  }
  DevicePrefetcher batches(loader, device_);
  s.model->train();
  s.optimizer->zero_grad();
  AverageMeter batch_time, loss_m, norm_m;
  // A run resumed inside the epoch continues the epoch's running averages: their sums are in the checkpoint.
  if (first_batch > 0) {
    loss_m.sum = s.progress.loss_sum, loss_m.count = s.progress.loss_count;
    norm_m.sum = s.progress.norm_sum, norm_m.count = s.progress.norm_count;
  }
  // One process: the step never waits for the device. The loss and gradient-norm sums accumulate in device
  // tensors (in the same order and precision as the host sums they replace, so resuming stays bitwise), and
  // are read back, with the check for a non-finite loss and the count of skipped fp16 steps, only at
  // PRINT_FREQ, before a checkpoint and at the end of the epoch. Data parallel: the per-batch all-reduce of
  // the loss and stop flags below needs the loss on the host anyway.
  const auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(device_);
  auto loss_sum = torch::full({}, s.progress.loss_sum, dopt);      // ()
  auto norm_sum = torch::full({}, s.progress.norm_sum, dopt);      // ()
  auto bad_batch = torch::full({}, -1, dopt.dtype(torch::kLong));  // () first batch with a non-finite loss
  torch::Tensor last_loss, last_norm;                              // ()
  int64_t skipped_reported = s.scaler->enabled() ? s.scaler->skipped_steps() : 0;
  auto read_back = [&] {
    if (!dist_.comm) {
      const int64_t bad = bad_batch.item<int64_t>();
      if (bad >= 0 && !s.scaler->enabled()) {
        throw std::runtime_error("loss is not finite at epoch " + std::to_string(epoch) + " batch " +
                                 std::to_string(bad) + "; stopping (lower TRAIN.BASE_LR or use fp32)");
      }
      s.progress.loss_sum = loss_sum.item<double>();
      loss_m.sum = s.progress.loss_sum, loss_m.count = s.progress.loss_count;
      if (last_loss.defined()) loss_m.val = last_loss.item<double>();
    }
    s.progress.norm_sum = norm_sum.item<double>();
    norm_m.sum = s.progress.norm_sum, norm_m.count = s.progress.norm_count;
    if (last_norm.defined()) s.last_grad_norm = norm_m.val = last_norm.item<double>();
    if (s.scaler->enabled()) {
      const int64_t skipped = s.scaler->skipped_steps();
      if (skipped > skipped_reported) {
        logger_->warn(
            strformat("%lld step(s) skipped since the last report: non-finite gradients, loss scale %g",
                      ll(skipped - skipped_reported), s.scaler->current_scale()));
      }
      skipped_reported = skipped;
    }
  };
  auto last = Clock::now();
  auto epoch_start = Clock::now();
  const double seconds_before = s.progress.seconds;
  auto print = [&](int64_t idx, double global_count) {
    read_back();
    const double lr = s.optimizer->param_groups()[0].options().get_lr();
    logger_->info(strformat(
        "Train: [%lld/%lld][%lld/%lld]  eta %s  lr %.6f  time %.4f (%.4f)  %.1f img/s  "
        "loss %.4f (%.4f)  grad_norm %s  mem %.0fMB",
        ll(epoch), ll(st.epochs), ll(idx), ll(n),
        hms(batch_time.avg() * static_cast<double>(n - idx)).c_str(), lr, batch_time.val, batch_time.avg(),
        global_count / std::max(batch_time.avg(), 1e-9), loss_m.val, loss_m.avg(),
        // Under accumulation the first lines come before any optimizer step: no norm yet.
        norm_m.count > 0 ? strformat("%.4f (%.4f)", norm_m.val, norm_m.avg()).c_str() : "- (no step yet)",
        memory_mib(device_)));
    if (s.tb) {
      s.tb->add_scalar("train/loss", loss_m.val, s.steps);
      s.tb->add_scalar("train/lr", lr, s.steps);
      s.tb->add_scalar("train/grad_norm", s.last_grad_norm, s.steps);
      s.tb->flush();
    }
  };
  // One process: the batch's loss summed on the device (as the host sum loss * batch) and, without fp16 loss
  // scaling (which skips the step instead; the loss may overflow there), the first non-finite loss.
  auto count_loss = [&](int64_t idx, double bsz) {
    loss_sum.add_(last_loss.to(torch::kDouble) * bsz);
    if (!s.scaler->enabled()) {
      bad_batch = torch::where((bad_batch < 0) & torch::logical_not(torch::isfinite(last_loss)),
                               torch::full({}, idx, bad_batch.options()), bad_batch);
    }
    loss_m.count += bsz;
  };
  auto count_step = [&] {
    ++s.steps;
    ++s.steps_this_process;
    norm_sum.add_(last_norm.to(torch::kDouble));
    norm_m.count += 1;
    s.progress.norm_count += 1;
  };
  // An interruption after the optimizer step of batch idx: last.pth holds the exact position.
  auto stop_at = [&](int64_t idx) {
    read_back();
    s.progress.seconds = seconds_before + seconds_since(epoch_start);
    save_checkpoint(s, run_dir_ / "last.pth", epoch - 1, epoch, idx + 1);
    logger_->warn(
        strformat("stopped at epoch %lld batch %lld/%lld (step %lld); run again to resume from last.pth",
                  ll(epoch), ll(idx + 1), ll(n), ll(s.steps)));
    result.interrupted = true;
    result.next_epoch = epoch;
  };
  for (int64_t idx = first_batch; idx < n; ++idx) {
    auto next = batches.next();
    if (!next) {
      throw std::runtime_error("the training loader ended at batch " + std::to_string(idx) + " of " +
                               std::to_string(n));
    }
    auto& b = *next;
    torch::Tensor targets = b.labels;
    if (s.mixup) std::tie(b.images, targets) = (*s.mixup)(b.images, b.labels, s.mixup_gen);

    // Gradients are communicated only on the batch that ends an accumulation (the optimizer step).
    const bool boundary = (idx + 1) % acc == 0;
    if (dist_.comm)
      dist_.comm->set_phase(strformat("epoch %lld batch %lld (step %lld)", ll(epoch), ll(idx), ll(s.steps)));
    if (s.reducer) s.reducer->before_forward(boundary);
    if (!s.synced_buffers.empty())
      dist_.comm->broadcast_from_main(s.synced_buffers, "broadcast of rank 0's buffers");
    const double bsz = static_cast<double>(b.labels.size(0));
    double global_count = bsz;
    bool stop = false;
    if (s.graph_step) {
      // TRAIN.CUDA_GRAPH (one process, no accumulation: every batch is a step); the step observer runs after
      // the captured EMA update.
      const bool was_captured = s.graph_step->captured();
      const auto out = s.graph_step->run(b.images, targets);
      if (!was_captured && s.graph_step->captured()) {
        logger_->info(
            strformat("TRAIN.CUDA_GRAPH: step %lld captured after %lld eager warm-up steps; the "
                      "following steps replay it",
                      ll(s.steps), ll(s.graph_step->steps() - 1)));
      }
      last_loss = out.loss;
      last_norm = out.norm;
      count_loss(idx, bsz);
      if (options_.step_observer()) options_.step_observer()(s.steps, *s.model, *s.optimizer);
      s.scheduler->step_update(epoch * n + idx);
      count_step();
      stop = stop_requested_.load() ||
             (options_.stop_after_steps() > 0 && s.steps_this_process >= options_.stop_after_steps());
    } else {
      torch::Tensor logits, loss;
      std::tie(logits, loss) = forward_loss(s, b.images, targets);  // (B, K), ()
      stop = stop_requested_.load() ||
             (options_.stop_after_steps() > 0 &&
              s.steps_this_process + (boundary ? 1 : 0) >= options_.stop_after_steps());
      last_loss = loss.detach();
      if (dist_.comm) {
        // One small all-reduce per batch makes every decision the same on every rank: the logged loss is the
        // mean over all ranks' images, a non-finite loss anywhere stops all, and a stop request (Ctrl-C,
        // SIGTERM, stop_after_steps) on any rank stops all at the same step.
        double loss_value = loss.item<double>();
        bool non_finite = !std::isfinite(loss_value);
        auto flags = dist_.comm->all_reduce(torch::tensor({non_finite ? 0.0 : loss_value * bsz, bsz,
                                                           non_finite ? 1.0 : 0.0, stop ? 1.0 : 0.0},
                                                          torch::kDouble),
                                            "all-reduce of the batch's loss and stop flags");  // (4,)
        auto f = flags.accessor<double, 1>();
        global_count = f[1];
        non_finite = f[2] > 0;
        stop = f[3] > 0;
        if (!non_finite) loss_value = f[0] / global_count;
        if (non_finite && !s.scaler->enabled()) {
          throw std::runtime_error("loss is not finite (" + std::to_string(loss.item<double>()) +
                                   " on rank " + std::to_string(dist_.rank) + ") at epoch " +
                                   std::to_string(epoch) + " batch " + std::to_string(idx) +
                                   "; stopping (lower TRAIN.BASE_LR or use fp32)");
        }
        loss_m.update(loss_value, global_count);
        s.progress.loss_sum += loss_value * global_count;
      } else {
        count_loss(idx, bsz);
      }
      if (s.reducer) s.reducer->before_backward(boundary, {logits});
      auto backward = [&] { s.scaler->scale(acc > 1 ? loss / static_cast<double>(acc) : loss).backward(); };
      if (s.reducer && boundary) {
        dist_.comm->guard("backward with the gradient all-reduce (epoch " + std::to_string(epoch) +
                              " batch " + std::to_string(idx) + ")",
                          backward);
      } else {
        backward();
      }

      if (boundary) {
        if (s.scaler->enabled()) {
          if (dist_.comm) {
            // An overflow on any rank skips the step on all (the flag is read back for the all-reduce).
            s.scaler->set_found_inf(
                any_rank(s.scaler->unscale(s.params), dist_, "all-reduce of the fp16 overflow flag"));
          } else {
            s.scaler->unscale_async(s.params);  // the overflow flag stays on the device
          }
        }
        last_norm = clip_grad_norm_tensor(s.params, st.clip_grad);  // () before clipping
        s.scaler->step_async(*s.optimizer);  // FusedAdamW skips an overflowing fp16 step on the device
        if (options_.step_observer()) options_.step_observer()(s.steps, *s.model, *s.optimizer);
        s.scaler->update();
        s.optimizer->zero_grad();
        s.scheduler->step_update(epoch * n + idx);
        if (s.ema) s.ema->update(*s.model);
        count_step();
      }
    }
    s.progress.loss_count += global_count;
    s.progress.images += global_count;
    batch_time.update(seconds_since(last));
    last = Clock::now();

    if (idx % st.print_freq == 0 || idx == n - 1) print(idx, global_count);

    // Stops happen between optimizer steps (never inside an accumulation) and, at the last batch, after the
    // epoch's validation and checkpoints instead.
    if (boundary && stop && idx + 1 < n) {
      stop_at(idx);
      return;
    }
  }
  read_back();
  s.progress.seconds = seconds_before + seconds_since(epoch_start);
  logger_->info(strformat("EPOCH %lld training takes %s  (%.1f img/s, loss %.4f, grad_norm %.4f)", ll(epoch),
                          hms(s.progress.seconds).c_str(),
                          s.progress.images / std::max(s.progress.seconds, 1e-9),
                          s.progress.loss_sum / std::max(s.progress.loss_count, 1.0),
                          s.progress.norm_sum / std::max(s.progress.norm_count, 1.0)));
}

void Trainer::end_epoch(State& s, int64_t epoch, TrainResult& result) {
  const auto& st = settings_;
  s.model->eval();
  auto model_fwd = [&](const torch::Tensor& x) { return s.model->forward(x); };
  auto eval =
      evaluate(model_fwd, *s.val_loader, device_, st.amp, dist_, logger_.get(), st.print_freq, "model");
  result.last_eval = eval;
  logger_->info(
      strformat("Accuracy of the network on the %lld test images: %.1f%%", ll(eval.samples), eval.acc1));
  const bool improved = eval.acc1 > s.max_accuracy || !std::filesystem::exists(run_dir_ / "best.pth");
  s.max_accuracy = std::max(s.max_accuracy, eval.acc1);
  logger_->info(strformat("Max accuracy: %.2f%%", s.max_accuracy));

  EpochRecord r;
  r.epoch = epoch;
  r.step = s.steps;
  r.lr = s.optimizer->param_groups()[0].options().get_lr();
  r.train_loss = s.progress.loss_sum / std::max(s.progress.loss_count, 1.0);
  r.grad_norm = s.progress.norm_sum / std::max(s.progress.norm_count, 1.0);
  r.val_loss = eval.loss;
  r.val_acc1 = eval.acc1;
  r.val_acc5 = eval.acc5;
  r.max_acc1 = s.max_accuracy;
  r.epoch_seconds = s.progress.seconds;
  r.images_per_second = s.progress.images / std::max(s.progress.seconds, 1e-9);
  r.unreadable_files = static_cast<double>(s.train_loader->skipped_files());
  if (s.train_loader->skipped_files() > 0) {
    logger_->warn(
        strformat("%lld unreadable training files skipped so far (each named in the log when found)",
                  ll(s.train_loader->skipped_files())));
  }
  if (s.ema) {
    auto ema_fwd = [&](const torch::Tensor& x) { return s.ema_model->forward(x); };
    auto ee = evaluate(ema_fwd, *s.val_loader, device_, st.amp, dist_, logger_.get(), st.print_freq, "EMA");
    result.last_eval_ema = ee;
    s.max_accuracy_ema = std::max(s.max_accuracy_ema, ee.acc1);
    logger_->info(strformat("Accuracy of the EMA model: %.1f%% (max %.2f%%)", ee.acc1, s.max_accuracy_ema));
    r.ema_val_loss = ee.loss;
    r.ema_val_acc1 = ee.acc1;
    r.ema_val_acc5 = ee.acc5;
  }
  s.history.push_back(r);

  if (dist_.is_main()) {
    write_metrics_csv(run_dir_ / "metrics.csv", s.history);
    if (s.tb) {
      s.tb->add_scalar("epoch/train_loss", r.train_loss, epoch);
      s.tb->add_scalar("epoch/lr", r.lr, epoch);
      s.tb->add_scalar("val/loss", r.val_loss, epoch);
      s.tb->add_scalar("val/acc1", r.val_acc1, epoch);
      s.tb->add_scalar("val/acc5", r.val_acc5, epoch);
      if (s.ema) {
        s.tb->add_scalar("val_ema/loss", r.ema_val_loss, epoch);
        s.tb->add_scalar("val_ema/acc1", r.ema_val_acc1, epoch);
        s.tb->add_scalar("val_ema/acc5", r.ema_val_acc5, epoch);
      }
      s.tb->flush();
    }
    plot_training_curves(s.history, run_dir_ / "curves.png");
  }
  s.progress = EpochProgress{};
  if (dist_.comm) check_replicas(s);
  const auto last = run_dir_ / "last.pth";
  save_checkpoint(s, last, epoch, epoch + 1, 0);  // every rank: it gathers their generator states
  if (dist_.is_main()) {
    if (improved) copy_checkpoint(last, run_dir_ / "best.pth");
    if (epoch % st.save_freq == 0 || epoch == st.epochs - 1) {
      copy_checkpoint(last, run_dir_ / ("ckpt_epoch_" + std::to_string(epoch) + ".pth"));
    }
  }
  s.progress = EpochProgress{};
}

double Trainer::measure_throughput(State& s) {
  // As the original: one validation batch, 50 warm-up passes, then 30 timed ones.
  constexpr int kWarmup = 50, kTimed = 30, kReportEvery = 10;
  torch::NoGradGuard no_grad;
  s.model->eval();
  s.val_loader->set_epoch(0);
  auto batch = s.val_loader->next();
  if (!batch) throw std::runtime_error("throughput: the validation loader is empty");
  auto images = data::to_device(*batch, device_).images;
  const std::string protocol = strformat(
      "forward passes in eval mode of one validation batch of %lld (%lldx%lld), %d warm-up + %d "
      "timed, as the original main.py; %s, mixed precision %s, %d CPU threads",
      ll(images.size(0)), ll(images.size(2)), ll(images.size(3)), kWarmup, kTimed, device_.str().c_str(),
      amp_mode_name(settings_.amp).c_str(), torch::get_num_threads());
  logger_->info("throughput: " + protocol);
  AutocastScope autocast(device_.type(), amp_dtype(settings_.amp));
  auto t_warm = Clock::now();
  for (int i = 1; i <= kWarmup; ++i) {
    s.model->forward(images);
    if (i % kReportEvery == 0) {
      logger_->info(strformat("throughput: warm-up %d/%d (%.1f s)", i, kWarmup, seconds_since(t_warm)));
    }
  }
  if (device_.is_cuda()) torch::cuda::synchronize();
  auto t0 = Clock::now();
  for (int i = 1; i <= kTimed; ++i) {
    s.model->forward(images);
    if (i % kReportEvery == 0 && i < kTimed) logger_->info(strformat("throughput: timed %d/%d", i, kTimed));
  }
  if (device_.is_cuda()) torch::cuda::synchronize();
  double ips = kTimed * static_cast<double>(images.size(0)) / seconds_since(t0);
  logger_->info(
      strformat("batch_size %lld throughput %.1f images/s (%d warm-up + %d timed forward passes of "
                "one batch; the same protocol in focal-bench: --cfg CFG --batch-size %lld --mode "
                "forward --warmup %d --iters %d)",
                ll(images.size(0)), ips, kWarmup, kTimed, ll(images.size(0)), kWarmup, kTimed));
  return ips;
}

TrainResult Trainer::run() {
  State s;
  TrainResult result;
  // A run that fails before it evaluates or trains (a missing data path, a bad checkpoint) removes the run
  // folder its constructor created, with the config.yaml and log.txt that are all it holds.
  CreatedDirsGuard failed_start(created_dirs_, {"config.yaml", "log.txt"});
  build(s);
  auto resume = resume_file();
  if (dist_.comm) {
    // Rank 0's choice for all, so that no rank resumes from another file than the others.
    const std::string chosen = dist_.comm->share_from_main("resume_file", resume ? resume->string() : "");
    resume = chosen.empty() ? std::nullopt : std::optional<std::filesystem::path>(chosen);
    if (resume && !std::filesystem::exists(*resume)) {
      throw std::runtime_error("rank " + std::to_string(dist_.rank) + " cannot read " + resume->string() +
                               ", which rank 0 resumes from: the run folder must be on a file system that "
                               "every machine of the run shares");
    }
  }
  if (resume) {
    load_resume(s, *resume);
  } else {
    logger_->info("no checkpoint found in " + run_dir_.string() + ", training from the start");
  }
  if (dist_.comm) setup_distributed(s);
  failed_start.keep();
  if (settings_.eval_mode) {
    if (resume) {
      logger_->info("--eval: evaluating the weights of " + resume->string());
    } else if (!settings_.pretrained.empty()) {
      logger_->info("--eval: evaluating the --pretrained weights of " + settings_.pretrained +
                    " (tensors listed above as re-initialised are evaluated untrained)");
    } else {
      logger_->warn("--eval without --resume, --pretrained or last.pth evaluates untrained weights");
    }
    s.model->eval();
    auto fwd = [&](const torch::Tensor& x) { return s.model->forward(x); };
    result.last_eval = evaluate(fwd, *s.val_loader, device_, settings_.amp, dist_, logger_.get(),
                                settings_.print_freq, "model");
    logger_->info(strformat("Accuracy of the network on the %lld test images: %.1f%%",
                            ll(result.last_eval->samples), result.last_eval->acc1));
    if (s.ema) {
      s.ema_model->eval();
      auto efwd = [&](const torch::Tensor& x) { return s.ema_model->forward(x); };
      result.last_eval_ema = evaluate(efwd, *s.val_loader, device_, settings_.amp, dist_, logger_.get(),
                                      settings_.print_freq, "EMA");
    }
    return result;
  }
  if (settings_.throughput_mode) {
    result.throughput = measure_throughput(s);
    return result;
  }
  if (s.start_epoch >= settings_.epochs) {
    // A finished run started again: nothing to train, say so instead of an empty "training" of 0 s.
    logger_->info(
        strformat("This run is already complete: all %lld epochs (TRAIN.EPOCHS) are done, best top-1 "
                  "%.2f%%. Nothing to train; raise --epochs to train on, or give another --tag for "
                  "a new run. Results are in %s",
                  ll(settings_.epochs), s.max_accuracy, run_dir_.string().c_str()));
    result.completed = true;
    result.next_epoch = s.start_epoch;
    result.steps = s.steps;
    result.max_accuracy = s.max_accuracy;
    result.max_accuracy_ema = s.max_accuracy_ema;
    return result;
  }

  if (dist_.is_main()) {
    auto history = read_metrics_csv(run_dir_ / "metrics.csv");
    for (const auto& r : history) {
      if (r.epoch < s.start_epoch) s.history.push_back(r);
    }
    s.tb = std::make_unique<TensorBoardWriter>(run_dir_ / "tensorboard");
  }
  logger_->info("Start training");
  auto start = Clock::now();
  result.next_epoch = s.start_epoch;
  for (int64_t epoch = s.start_epoch; epoch < settings_.epochs; ++epoch) {
    const int64_t first = epoch == s.start_epoch ? s.first_batch : 0;
    try {
      train_epoch(s, epoch, first, result);
      if (!result.interrupted) end_epoch(s, epoch, result);
    } catch (const std::exception& e) {
      if (!dist_.comm) throw;
      // This rank's own error (a data file, a non-finite loss): the others are told before it exits, so
      // that they name it, and exit at once instead of waiting for DIST.TIMEOUT.
      logger_->error(e.what());
      dist_.comm->fail(strformat("training at epoch %lld", ll(epoch)), e.what());
    }
    if (result.interrupted) break;
    result.next_epoch = epoch + 1;
    bool stop = stop_requested_.load() ||
                (options_.stop_after_steps() > 0 && s.steps_this_process >= options_.stop_after_steps());
    stop = any_rank(stop, dist_, "all-reduce of the stop flag after the epoch");
    if (stop && epoch + 1 < settings_.epochs) {
      logger_->warn(strformat("stopped after epoch %lld; run again to resume from last.pth", ll(epoch)));
      result.interrupted = true;
      break;
    }
  }
  result.completed = !result.interrupted && result.next_epoch >= settings_.epochs;
  result.steps = s.steps;
  result.max_accuracy = s.max_accuracy;
  result.max_accuracy_ema = s.max_accuracy_ema;
  logger_->info("Training time " + hms(seconds_since(start)));
  if (dist_.is_main() && !s.history.empty()) {
    plot_training_curves(s.history, run_dir_ / "curves.png");
    logger_->info("curves: " + (run_dir_ / "curves.png").string() +
                  "  metrics: " + (run_dir_ / "metrics.csv").string() +
                  "  log: " + (run_dir_ / "log.txt").string() + "  checkpoints: " + run_dir_.string());
  }
  return result;
}

}  // namespace focal::train
