#include "eval/evaluator/eval_command.h"

#include "data/datasets/folder_dataset.h"
#include "data/loading/data_factory.h"
#include "eval/arg_parser.h"
#include "eval/evaluator/eval_dataset.h"
#include "eval/evaluator/evaluation_loop.h"
#include "eval/evaluator/predictions_file.h"
#include "eval/evaluator/results_file.h"
#include "eval/evaluator/throughput.h"
#include "focal/io/state_dict.h"
#include "focal/runtime/device.h"
#include "focal/zoo/model_zoo.h"
#include "train/checkpoint/training_checkpoint.h"
#include "train/cli.h"
#include "train/distributed.h"
#include "train/distributed/communicator.h"
#include "train/recipe/amp_mode.h"
#include "train/recipe/train_settings.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace focal::eval {

namespace fs = std::filesystem;

namespace {

int64_t positive(const ArgParser& args, const std::string& name) {
  const int64_t v = args.get_int(name);
  if (v < 1) throw std::invalid_argument("--" + name + " must be at least 1, got " + std::to_string(v));
  return v;
}

// What the process prints: rank 0 only.
struct Console {
  bool main = true;
  void info(const std::string& line) const {
    if (main) std::cerr << "focal-eval: " << line << "\n";
  }
};

// The validation images of the configuration: DATA.DATASET at DATA.DATA_PATH (imagenet: <root>/val, or the
// root itself when it holds the class folders directly), seen through --limit and --class-map.
std::shared_ptr<const data::Dataset> eval_dataset(data::DataConfig& cfg, const EvalCommand& cmd,
                                                  const Console& out) {
  if (cfg.dataset == "imagenet" && !fs::is_directory(fs::path(cfg.data_path) / "val") &&
      fs::is_directory(cfg.data_path)) {
    out.info("no val/ folder in " + cfg.data_path + ": its sub-folders are the classes");
    cfg.dataset = "folder";
  }
  auto inner = data::build_dataset(cfg, "val");
  if (cmd.class_map.empty()) return std::make_shared<EvalDataset>(inner, cmd.limit);
  const auto folder = std::dynamic_pointer_cast<const data::FolderDataset>(inner);
  if (!folder) {
    throw std::invalid_argument(
        "--class-map applies to folder layouts (DATA.DATASET imagenet or folder), whose "
        "classes are folder names; DATA.DATASET " +
        cfg.dataset + " has numeric labels");
  }
  const auto names = read_class_map(cmd.class_map);
  return std::make_shared<EvalDataset>(inner, cmd.limit,
                                       class_map_labels(folder->classes(), names, cmd.class_map),
                                       static_cast<int64_t>(names.size()));
}

std::string preprocessing(const data::DataConfig& d) {
  const std::string norm = "normalise (ImageNet mean/std)";
  if (!d.test_crop) {
    return "resize to " + std::to_string(d.img_size) + "x" + std::to_string(d.img_size) + " " +
           d.interpolation + ", " + norm + " (TEST.CROP off)";
  }
  const auto side = static_cast<int64_t>(std::floor(static_cast<double>(d.img_size) / d.crop_pct));
  return "resize the shorter side to " + std::to_string(side) + " " + d.interpolation + ", centre crop " +
         std::to_string(d.img_size) + ", " + norm;
}

// The model's weights from `path`: its model entry, or with `ema` its EMA entry (model_ema /
// state_dict_ema); any layout that focal-train --eval and --resume read. Strict: every tensor must match.
std::string load_weights(ClassifierImpl& model, const std::string& path, bool ema) {
  auto ck = train::load_training_checkpoint(path);
  if (ema) {
    if (!ck.model_ema) {
      throw std::runtime_error(
          path + ": --ema, but the file has no EMA weights (model_ema or state_dict_ema; " + ck.layout + ")");
    }
    // Another layout of the same model (timm's Swin, say) is put into the model's own names first.
    io::load_state_dict(model, model.adapt_checkpoint(std::move(*ck.model_ema)), /*strict=*/true,
                        path + " (EMA weights)");
    return ck.layout + ", EMA weights";
  }
  io::load_state_dict(model, model.adapt_checkpoint(std::move(ck.model)), /*strict=*/true, path);
  return ck.layout;
}

std::string per_checkpoint_path(const std::string& path, const std::string& checkpoint, size_t count) {
  if (count <= 1) return path;
  const fs::path p(path);
  return (p.parent_path() /
          (p.stem().string() + "." + fs::path(checkpoint).stem().string() + p.extension().string()))
      .string();
}

void print_row(const ResultRow& r, bool header) {
  if (header) {
    std::printf("%-32s %-28s %8s %8s %8s %7s %6s %9s %7s %9s %9s\n", "model", "checkpoint", "top1", "top5",
                "loss", "images", "skip", "params_M", "GMACs", "eval_i/s", "infer_i/s");
  }
  auto opt = [](const std::optional<double>& v, const char* fmt) {
    char text[32];
    if (!v) return std::string("-");
    std::snprintf(text, sizeof(text), fmt, *v);
    return std::string(text);
  };
  std::printf("%-32s %-28s %8s %8s %8s %7lld %6lld %9.2f %7.2f %9s %9s\n", r.model.c_str(),
              fs::path(r.checkpoint).filename().string().c_str(), opt(r.top1, "%.3f").c_str(),
              opt(r.top5, "%.3f").c_str(), opt(r.loss, "%.4f").c_str(), static_cast<long long>(r.images),
              static_cast<long long>(r.skipped), static_cast<double>(r.params) / 1e6, r.gmacs,
              opt(r.eval_samples_per_sec, "%.1f").c_str(), opt(r.infer_samples_per_sec, "%.1f").c_str());
  std::fflush(stdout);
}

}  // namespace

std::optional<EvalCommand> parse_eval_command(int argc, char** argv) {
  ArgParser args(
      "focal-eval",
      "Evaluates checkpoints of a configuration on a validation set with the original's eval\n"
      "preprocessing (TEST.CROP on: shorter side to int(IMG_SIZE / 0.875) with DATA.INTERPOLATION, centre\n"
      "crop; off: resize to IMG_SIZE; then normalise). Prints one results row per checkpoint.\n"
      "  focal-eval --cfg C.yaml --checkpoint W.pth [W2.pth ...] --data-path ROOT");
  args.option("cfg", "YAML configuration (required)")
      .multi("checkpoint", "checkpoint(s) to evaluate: any layout --pretrained/--resume read")
      .option("data-path",
              "DATA.DATA_PATH: an ImageNet root (val/<class>/...), a class folder, a file list, "
              "a folder of tar shards, the Fashion-MNIST folder")
      .option("dataset", "DATA.DATASET (imagenet, folder, file_list, shards, fashion_mnist)")
      .option("batch-size", "DATA.BATCH_SIZE")
      .option("workers", "DATA.NUM_WORKERS: decoding threads")
      .option("device", "cpu, cuda or cuda:N", "cpu")
      .option("amp", "bf16, fp16 or off (default: the config's TRAIN.AMP)")
      .option("limit", "evaluate the first N images only")
      .multi("opts", "KEY VALUE pairs overriding configuration keys")
      .option("class-map", "file of class names, one per line: the class index is the line's position")
      .option("results-file", "write the results rows to R.csv or R.json")
      .option("predictions", "write one row per image to P.csv (path, label, top1..topK, prob1..probK)")
      .option("topk", "predictions per image", "5")
      .flag("ema", "evaluate the EMA weights of a training checkpoint")
      .flag("throughput",
            "also measure images/s as the original's throughput(): one batch, 50 warm-up and "
            "30 timed forward passes")
      .option("throughput-batch", "batch of --throughput", "64")
      .option("print-freq", "a progress line every N batches", "10");
  if (!args.parse(argc, argv)) return std::nullopt;
  EvalCommand c;
  c.cfg = args.get("cfg");
  if (c.cfg.empty()) throw std::invalid_argument("--cfg is required (see --help)");
  c.checkpoints = args.get_all("checkpoint");
  c.opts = args.get_all("opts");
  if (c.opts.size() % 2 != 0) throw std::invalid_argument("--opts takes KEY VALUE pairs, got an odd count");
  if (args.has("data-path")) c.data_path = args.get("data-path");
  if (args.has("dataset")) c.dataset = args.get("dataset");
  if (args.has("batch-size")) c.batch_size = positive(args, "batch-size");
  if (args.has("workers")) c.workers = args.get_int("workers");
  c.device = args.get("device");
  if (args.has("amp")) c.amp = args.get("amp");
  if (args.has("limit")) c.limit = positive(args, "limit");
  c.class_map = args.get("class-map");
  c.results_file = args.get("results-file");
  c.predictions = args.get("predictions");
  c.topk = positive(args, "topk");
  c.ema = args.has("ema");
  c.throughput = args.has("throughput");
  c.throughput_batch = positive(args, "throughput-batch");
  c.print_freq = positive(args, "print-freq");
  if (c.checkpoints.empty() && !c.throughput) {
    throw std::invalid_argument(
        "--checkpoint is required (or --throughput alone, which times the model "
        "without weights)");
  }
  return c;
}

int run_eval_command(const EvalCommand& cmd) {
  train::CliArgs cli;
  cli.cfg = cmd.cfg;
  cli.opts = cmd.opts;
  cli.batch_size = cmd.batch_size;
  cli.dataset = cmd.dataset;
  cli.data_path = cmd.data_path;
  cli.workers = cmd.workers;
  cli.amp = cmd.amp;
  const Config config = train::resolve_config(cli);
  parse_device(cmd.device);  // one plain line for a missing GPU, before anything is built
  const auto dist = train::init_distributed(config, cmd.device);
  const torch::Device device = parse_device(train::device_for_rank(cmd.device, dist));
  const Console out{dist.is_main()};
  // The data and precision settings as training resolves them; the training-only augmentations are switched
  // off first so that their checks (an even batch for Mixup) do not apply to evaluation.
  Config resolved = config;
  resolved.merge_opts({"AUG.MIXUP", "0.0", "AUG.CUTMIX", "0.0", "AUG.CUTMIX_MINMAX", "null"});
  const auto settings = train::settings_from_config(resolved, dist);
  const auto amp = settings.amp;
  data::DataConfig dcfg = settings.val_data;
  const bool evaluate = !cmd.checkpoints.empty();

  std::shared_ptr<const data::Dataset> dataset;
  std::unique_ptr<data::DataLoader> loader;
  const bool have_data = evaluate || !dcfg.data_path.empty() || dcfg.dataset == "synthetic";
  if (have_data) {
    dataset = eval_dataset(dcfg, cmd, out);
    loader = std::make_unique<data::DataLoader>(dataset, data::build_eval_transform(dcfg),
                                                data::LoaderOptions()
                                                    .batch_size(dcfg.batch_size)
                                                    .num_workers(dcfg.num_workers)
                                                    .prefetch_batches(dcfg.prefetch_batches)
                                                    .shuffle(false)
                                                    .exact_shares(true)
                                                    .skip_unreadable(true)
                                                    .pin_memory(dcfg.pin_memory && device.is_cuda())
                                                    .rank(dist.rank)
                                                    .world_size(dist.world_size));
    out.info("data: " + std::to_string(dataset->size()) + " images of " +
             std::to_string(dataset->num_classes()) + " classes (" + dcfg.dataset + " at " + dcfg.data_path +
             "); " + preprocessing(dcfg));
    if (dataset->num_classes() > dcfg.num_classes) {
      throw std::runtime_error("MODEL.NUM_CLASSES is " + std::to_string(dcfg.num_classes) +
                               ", but the data set has " + std::to_string(dataset->num_classes()) +
                               " classes: set --opts MODEL.NUM_CLASSES " +
                               std::to_string(dataset->num_classes()));
    }
  }

  auto model = create_model_from_config(config);
  model->eval();
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  const auto complexity = model_complexity_from_config(config);
  const std::string model_name = config.get<std::string>("MODEL.NAME");
  out.info("model " + model_name + " (" + config.get<std::string>("MODEL.TYPE") +
           "): " + std::to_string(params) + " parameters, " + std::to_string(complexity.macs / 1e9) +
           " GMACs at " + std::to_string(dcfg.img_size) + "px; device " + device.str() +
           ", mixed precision " + train::amp_mode_name(amp));
  auto forward = [&](const torch::Tensor& x) { return model->forward(x); };

  ResultRow base;
  base.model = model_name;
  base.params = params;
  base.gmacs = static_cast<double>(complexity.macs) / 1e9;
  base.crop_pct = dcfg.test_crop ? dcfg.crop_pct : 1.0;
  base.interpolation = dcfg.interpolation;
  base.img_size = dcfg.img_size;

  std::vector<ResultRow> rows;
  auto throughput_of = [&](ResultRow& row) {
    torch::Tensor images;
    if (loader) {  // as the original: images of the validation set
      loader->set_epoch(0);
      std::vector<torch::Tensor> parts;
      int64_t have = 0;
      while (have < cmd.throughput_batch) {
        auto b = loader->next();
        if (!b) break;
        parts.push_back(b->images);
        have += b->images.size(0);
      }
      images = torch::cat(parts).narrow(0, 0, std::min(have, cmd.throughput_batch));  // (B, C, H, W)
    } else {
      images =
          torch::randn({cmd.throughput_batch, dcfg.in_chans, dcfg.img_size, dcfg.img_size});  // (B, C, H, W)
    }
    images = images.to(device);
    out.info("throughput: batch " + std::to_string(images.size(0)) +
             ", 50 warm-up + 30 timed forward passes, " + std::to_string(torch::get_num_threads()) +
             " CPU threads");
    row.infer_samples_per_sec =
        measure_throughput(forward, images, device, ThroughputOptions().amp_dtype(train::amp_dtype(amp)),
                           [&](const std::string& line) { out.info(line); });
    row.infer_batch_size = images.size(0);
  };

  model->to(device);
  bool header = true;
  if (!evaluate) {
    ResultRow row = base;
    row.checkpoint = "(initial weights)";
    throughput_of(row);
    if (dist.is_main()) print_row(row, header);
    rows.push_back(row);
  }
  for (const auto& checkpoint : cmd.checkpoints) {
    out.info(checkpoint + ": " + load_weights(*model, checkpoint, cmd.ema));
    model->to(device);
    const int64_t k = std::min<int64_t>(cmd.topk, model->num_classes());
    PredictionsCollector predictions(*dataset, k);
    EvaluationHooks hooks;
    hooks.reduce_sum = [&](const torch::Tensor& t) {
      return train::reduce_sum(t, dist, "all-reduce of the evaluation sums");
    };
    hooks.on_progress = [&](const EvalProgress& p) {
      char line[256];
      std::snprintf(
          line, sizeof(line), "[%lld/%lld] %5.1f%%  eta %s  %.1f img/s  loss %.4f  acc@1 %.3f  acc@5 %.3f",
          static_cast<long long>(p.batch), static_cast<long long>(p.batches),
          100.0 * static_cast<double>(p.batch) / static_cast<double>(std::max<int64_t>(1, p.batches)),
          format_duration(p.eta_seconds).c_str(),
          static_cast<double>(p.images) / std::max(p.elapsed_seconds, 1e-9), p.loss_avg, p.acc1_avg,
          p.acc5_avg);
      out.info(line);
    };
    if (!cmd.predictions.empty())
      hooks.on_predictions = [&](const BatchPredictions& b) { predictions.add(b); };
    const auto r = run_evaluation(
        forward, *loader, device, hooks,
        EvaluationOptions().amp_dtype(train::amp_dtype(amp)).topk(k).progress_every(cmd.print_freq));
    ResultRow row = base;
    row.checkpoint = checkpoint + (cmd.ema ? " (EMA)" : "");
    row.top1 = r.acc1;
    row.top5 = r.acc5;
    row.loss = r.loss;
    row.images = r.samples;
    row.skipped = r.skipped;
    row.eval_samples_per_sec = r.images_per_second() * static_cast<double>(dist.world_size);
    if (r.skipped > 0) {
      out.info(std::to_string(r.skipped) +
               " unreadable image(s) skipped (named in the warnings above); the figures "
               "are over the " +
               std::to_string(r.samples) + " readable ones");
    }
    out.info(" * Acc@1 " + std::to_string(r.acc1) + " Acc@5 " + std::to_string(r.acc5) + " loss " +
             std::to_string(r.loss) + " (" + std::to_string(r.samples) + " images; data wait " +
             std::to_string(r.data_wait_seconds) + " s of " + std::to_string(r.seconds) + " s)");
    if (!cmd.predictions.empty()) {
      if (dist.comm) {
        const auto parts = dist.comm->gather_to_main("eval_predictions", predictions.serialize());
        for (size_t i = 1; i < parts.size(); ++i) predictions.merge_serialized(parts[i]);
      }
      if (dist.is_main()) {
        const auto path = per_checkpoint_path(cmd.predictions, checkpoint, cmd.checkpoints.size());
        predictions.write(path);
        out.info("predictions: " + path + " (" + std::to_string(predictions.rows()) + " rows)");
      }
    }
    if (cmd.throughput) throughput_of(row);
    if (dist.is_main()) print_row(row, header);
    header = false;
    rows.push_back(row);
  }
  if (!cmd.results_file.empty() && dist.is_main()) {
    write_results(cmd.results_file, rows);
    out.info("results: " + cmd.results_file);
  }
  return 0;
}

}  // namespace focal::eval
