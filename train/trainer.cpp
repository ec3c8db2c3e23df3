#include "train/trainer.h"

#include "focal/io/state_dict.h"
#include "focal/model/autocast_scope.h"
#include "focal/zoo/model_zoo.h"
#include "train/atomic_file.h"
#include "train/criterion.h"
#include "train/grad_norm.h"
#include "train/grad_scaler.h"
#include "train/metrics.h"
#include "train/metrics_csv.h"
#include "train/model_ema.h"
#include "train/output_dir.h"
#include "train/pretrained_loader.h"
#include "train/resource_usage.h"
#include "train/tensorboard_writer.h"
#include "train/text_format.h"
#include "train/training_checkpoint.h"
#include "train/training_plot.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace focal::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long long ll(int64_t v) { return static_cast<long long>(v); }

torch::Device parse_device(const std::string& name) {
  torch::Device d(name);
  if (d.is_cuda() && !torch::cuda::is_available()) {
    throw std::runtime_error("--device " + name + ": LibTorch sees no CUDA device");
  }
  return d;
}

std::vector<torch::Tensor> trainable_parameters(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) {
    if (p.requires_grad()) out.push_back(p);
  }
  return out;
}

// Copies a finished checkpoint to another name (temporary file, then rename).
void copy_checkpoint(const std::filesystem::path& from, const std::filesystem::path& to) {
  auto tmp = temporary_sibling(to);
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing);
  replace_file(tmp, to);
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
};

Trainer::Trainer(Config config, TrainerOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      dist_(distributed_from_environment()),
      settings_(settings_from_config(config_, dist_)),
      device_(parse_device(options_.device())) {
  run_dir_ = config_.get<std::string>("OUTPUT");
  if (run_dir_.empty()) {
    run_dir_ = run_directory("output", settings_.model_name, config_.get<std::string>("TAG"));
    config_.set("OUTPUT", "'" + run_dir_.string() + "'");
  }
  if (dist_.is_main()) prepare_output_dir(run_dir_);
  logger_ = std::make_unique<RunLog>(dist_.is_main() ? run_dir_ / "log.txt" : std::filesystem::path(),
                                     options_.console(), dist_.is_main());
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
  if (!st.train_data.train_augment) {
    logger_->info(
        strformat("DATA.IMG_SIZE %lld <= 32: training images are only resized (no random-resized "
                  "crop, which the original does not apply to such small images either)",
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
  load_optimizer_state_dict(*s.optimizer, settings_.optimizer, ck.optimizer);
  s.scheduler->load_state_dict(ck.lr_scheduler);
  s.scaler->load_state_dict(ck.scaler);
  s.steps = ck.step;
  s.max_accuracy = ck.max_accuracy;
  s.max_accuracy_ema = ck.max_accuracy_ema;
  const int64_t n = s.train_loader->batches_per_epoch();
  if (ck.loader_next_batch > 0 && ck.loader_next_batch < n) {
    s.start_epoch = ck.loader_epoch;
    s.first_batch = ck.loader_next_batch;
    s.progress = ck.progress;
  } else {
    s.start_epoch = ck.epoch + 1;
    s.first_batch = 0;
  }
  // A scheduler state without its position (the original's timm state) resumes at the LR of the position.
  if (s.scheduler->last_update() < 0 && (s.start_epoch > 0 || s.first_batch > 0)) {
    s.scheduler->step_update(s.start_epoch * n + s.first_batch - 1);
  }
  // Random state last: building the models above drew from the default generator.
  if (ck.rng_torch.defined()) {
    auto cpu = at::detail::getDefaultCPUGenerator();  // a handle sharing the global generator
    cpu.set_state(ck.rng_torch);
  }
  if (ck.rng_cuda.defined() && device_.is_cuda()) {
    auto cuda = at::globalContext().defaultGenerator(device_);
    cuda.set_state(ck.rng_cuda);
  }
  if (ck.rng_mixup.defined()) s.mixup_gen.set_state(ck.rng_mixup);
  logger_->info(strformat("=> resumed at epoch %lld batch %lld (step %lld, best top-1 %.2f%%)",
                          ll(s.start_epoch), ll(s.first_batch), ll(s.steps), s.max_accuracy));
}

void Trainer::save_checkpoint(State& s, const std::filesystem::path& path, int64_t completed_epoch,
                              int64_t loader_epoch, int64_t loader_next_batch) {
  if (!dist_.is_main()) return;
  TrainingCheckpoint ck;
  ck.model = io::module_state_dict(*s.model);
  if (s.ema) ck.model_ema = io::module_state_dict(*s.ema_model);
  ck.optimizer = optimizer_state_dict(*s.optimizer, settings_.optimizer);
  ck.lr_scheduler = s.scheduler->state_dict();
  ck.scaler = s.scaler->state_dict();
  ck.epoch = completed_epoch;
  ck.step = s.steps;
  ck.max_accuracy = s.max_accuracy;
  ck.max_accuracy_ema = s.max_accuracy_ema;
  ck.rng_torch = at::detail::getDefaultCPUGenerator().get_state();
  if (device_.is_cuda()) ck.rng_cuda = at::globalContext().defaultGenerator(device_).get_state();
  if (s.mixup) ck.rng_mixup = s.mixup_gen.get_state();
  ck.loader_epoch = loader_epoch;
  ck.loader_next_batch = loader_next_batch;
  ck.progress = s.progress;
  ck.config_yaml = config_.dump();
  save_training_checkpoint(path, ck);
  logger_->info(path.string() + " saved");
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
  s.model->train();
  s.optimizer->zero_grad();
  AverageMeter batch_time, loss_m, norm_m;
  auto last = Clock::now();
  auto epoch_start = Clock::now();
  const double seconds_before = s.progress.seconds;
  for (int64_t idx = first_batch; idx < n; ++idx) {
    auto batch = loader.next();
    if (!batch) {
      throw std::runtime_error("the training loader ended at batch " + std::to_string(idx) + " of " +
                               std::to_string(n));
    }
    auto b = data::to_device(*batch, device_);
    torch::Tensor targets = b.labels;
    if (s.mixup) std::tie(b.images, targets) = (*s.mixup)(b.images, b.labels, s.mixup_gen);

    torch::Tensor loss;
    {
      AutocastScope autocast(device_.type(), amp_dtype(st.amp));
      auto logits = s.model->forward(b.images);  // (B, K)
      loss = s.criterion(logits, targets);       // ()
    }
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value) && !s.scaler->enabled()) {
      throw std::runtime_error("loss is " + std::to_string(loss_value) + " at epoch " +
                               std::to_string(epoch) + " batch " + std::to_string(idx) +
                               "; stopping (lower TRAIN.BASE_LR or use fp32)");
    }
    s.scaler->scale(acc > 1 ? loss / static_cast<double>(acc) : loss).backward();

    const bool boundary = (idx + 1) % acc == 0;
    if (boundary) {
      synchronize_gradients(s.params, dist_);
      if (s.scaler->enabled()) s.scaler->unscale(s.params);
      s.last_grad_norm = clip_grad_norm(s.params, st.clip_grad);
      bool stepped = s.scaler->step(*s.optimizer);
      if (options_.step_observer()) options_.step_observer()(s.steps, *s.model, *s.optimizer);
      s.scaler->update();
      s.optimizer->zero_grad();
      s.scheduler->step_update(epoch * n + idx);
      if (s.ema) s.ema->update(*s.model);
      ++s.steps;
      ++s.steps_this_process;
      if (!stepped) {
        logger_->warn(strformat("step %lld skipped: non-finite gradients, loss scale now %g", ll(s.steps),
                                s.scaler->current_scale()));
      }
      norm_m.update(s.last_grad_norm);
      s.progress.norm_sum += s.last_grad_norm;
      s.progress.norm_count += 1;
    }
    const double bsz = static_cast<double>(b.labels.size(0));
    loss_m.update(loss_value, bsz);
    s.progress.loss_sum += loss_value * bsz;
    s.progress.loss_count += bsz;
    s.progress.images += bsz * static_cast<double>(dist_.world_size);
    batch_time.update(seconds_since(last));
    last = Clock::now();

    if (idx % st.print_freq == 0 || idx == n - 1) {
      const double lr = s.optimizer->param_groups()[0].options().get_lr();
      logger_->info(strformat(
          "Train: [%lld/%lld][%lld/%lld]  eta %s  lr %.6f  time %.4f (%.4f)  %.1f img/s  "
          "loss %.4f (%.4f)  grad_norm %.4f (%.4f)  mem %.0fMB",
          ll(epoch), ll(st.epochs), ll(idx), ll(n),
          hms(batch_time.avg() * static_cast<double>(n - idx)).c_str(), lr, batch_time.val, batch_time.avg(),
          bsz * static_cast<double>(dist_.world_size) / std::max(batch_time.avg(), 1e-9), loss_m.val,
          loss_m.avg(), norm_m.val, norm_m.avg(), memory_mib(device_)));
      if (s.tb) {
        s.tb->add_scalar("train/loss", loss_value, s.steps);
        s.tb->add_scalar("train/lr", lr, s.steps);
        s.tb->add_scalar("train/grad_norm", s.last_grad_norm, s.steps);
        s.tb->flush();
      }
    }

    const bool stop = stop_requested_.load() || (options_.stop_after_steps() > 0 &&
                                                 s.steps_this_process >= options_.stop_after_steps());
    // Stops happen between optimizer steps (never inside an accumulation) and, at the last batch, after the
    // epoch's validation and checkpoints instead.
    if (boundary && stop && idx + 1 < n) {
      s.progress.seconds = seconds_before + seconds_since(epoch_start);
      save_checkpoint(s, run_dir_ / "last.pth", epoch - 1, epoch, idx + 1);
      logger_->warn(
          strformat("stopped at epoch %lld batch %lld/%lld (step %lld); run again to resume from last.pth",
                    ll(epoch), ll(idx + 1), ll(n), ll(s.steps)));
      result.interrupted = true;
      result.next_epoch = epoch;
      return;
    }
  }
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
    s.progress = EpochProgress{};
    const auto last = run_dir_ / "last.pth";
    save_checkpoint(s, last, epoch, epoch + 1, 0);
    if (improved) copy_checkpoint(last, run_dir_ / "best.pth");
    if (epoch % st.save_freq == 0 || epoch == st.epochs - 1) {
      copy_checkpoint(last, run_dir_ / ("ckpt_epoch_" + std::to_string(epoch) + ".pth"));
    }
  }
  s.progress = EpochProgress{};
}

double Trainer::measure_throughput(State& s) {
  // As the original: one validation batch, 50 warm-up passes, then 30 timed ones.
  torch::NoGradGuard no_grad;
  s.model->eval();
  s.val_loader->set_epoch(0);
  auto batch = s.val_loader->next();
  if (!batch) throw std::runtime_error("throughput: the validation loader is empty");
  auto images = data::to_device(*batch, device_).images;
  AutocastScope autocast(device_.type(), amp_dtype(settings_.amp));
  for (int i = 0; i < 50; ++i) s.model->forward(images);
  if (device_.is_cuda()) torch::cuda::synchronize();
  auto t0 = Clock::now();
  for (int i = 0; i < 30; ++i) s.model->forward(images);
  if (device_.is_cuda()) torch::cuda::synchronize();
  double ips = 30.0 * static_cast<double>(images.size(0)) / seconds_since(t0);
  logger_->info(strformat("batch_size %lld throughput %.1f images/s", ll(images.size(0)), ips));
  return ips;
}

TrainResult Trainer::run() {
  State s;
  TrainResult result;
  build(s);
  auto resume = resume_file();
  if (resume) {
    load_resume(s, *resume);
  } else {
    logger_->info("no checkpoint found in " + run_dir_.string() + ", training from the start");
  }
  if (settings_.eval_mode) {
    if (!resume) logger_->warn("--eval without --resume or last.pth evaluates untrained weights");
    s.model->eval();
    auto fwd = [&](const torch::Tensor& x) { return s.model->forward(x); };
    result.last_eval = evaluate(fwd, *s.val_loader, device_, settings_.amp, dist_, logger_.get(),
                                settings_.print_freq, "model");
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
    train_epoch(s, epoch, first, result);
    if (result.interrupted) break;
    end_epoch(s, epoch, result);
    result.next_epoch = epoch + 1;
    const bool stop = stop_requested_.load() || (options_.stop_after_steps() > 0 &&
                                                 s.steps_this_process >= options_.stop_after_steps());
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
