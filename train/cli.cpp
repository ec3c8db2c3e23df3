#include "train/cli.h"

#include "train/output/output_dir.h"
#include "train/recipe/amp_mode.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace focal::train {

namespace {

int64_t parse_int(const std::string& option, const std::string& value) {
  try {
    size_t used = 0;
    int64_t v = std::stoll(value, &used);
    if (used == value.size()) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(option + ": '" + value + "' is not an integer");
}

double parse_double(const std::string& option, const std::string& value) {
  try {
    size_t used = 0;
    double v = std::stod(value, &used);
    if (used == value.size()) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(option + ": '" + value + "' is not a number");
}

// A double as YAML text that reads back to the same value.
std::string double_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// Options of the other tools and of timm that focal-train spells differently.
std::string spelling_hint(const std::string& option) {
  if (option == "--dtype") return " (focal-train calls it --amp bf16|fp16|off)";
  if (option == "--no-resume-optimizer") return " (did you mean --no-resume-opt?)";
  if (option == "--num-workers" || option == "-j") return " (did you mean --workers?)";
  if (option == "--epoch") return " (did you mean --epochs?)";
  return "";
}

bool is_option(const std::string& s) { return s.size() > 2 && s.compare(0, 2, "--") == 0; }

}  // namespace

std::string cli_usage() {
  return "usage: focal-train --cfg FILE [--opts KEY VALUE ...] [options]\n"
         "\n"
         "Trains (or with --eval evaluates) the model of the config. Everything of a run goes to\n"
         "<output>/<MODEL.NAME>/<tag>/: config.yaml, log.txt, metrics.csv, curves.png, tensorboard/,\n"
         "last.pth, best.pth and ckpt_epoch_N.pth. A run whose folder holds last.pth resumes from it\n"
         "(TRAIN.AUTO_RESUME). Ctrl-C stops after the current step and saves last.pth.\n"
         "\n"
         "Options of the original main.py:\n"
         "  --cfg FILE               YAML configuration (required)\n"
         "  --opts KEY VALUE ...     override configuration keys\n"
         "  --batch-size N           DATA.BATCH_SIZE\n"
         "  --dataset NAME           DATA.DATASET (imagenet, imagewoof, folder, fashion_mnist, shards, "
         "synthetic)\n"
         "  --data-path PATH         DATA.DATA_PATH\n"
         "  --output PATH            output root (default: output)\n"
         "  --tag TAG                TAG, the run's folder below <output>/<MODEL.NAME>/ (default: default)\n"
         "  --resume CKPT            MODEL.RESUME: a training checkpoint, or weights only (then training\n"
         "                           starts at epoch 0 from them); --eval evaluates it\n"
         "  --accumulation-steps N   TRAIN.ACCUMULATION_STEPS\n"
         "  --use-checkpoint         TRAIN.USE_CHECKPOINT (activation checkpointing)\n"
         "  --eval                   EVAL_MODE: evaluate --resume, --pretrained or last.pth, then stop\n"
         "  --throughput             THROUGHPUT_MODE: forward images/s on one validation batch\n"
         "Ours:\n"
         "  --pretrained W.pth       TRAIN.PRETRAINED: fine-tune from these weights\n"
         "  --amp bf16|fp16|off      TRAIN.AMP: mixed precision (fp16 needs a GPU)\n"
         "  --device cpu|cuda[:N]    where to train (default: cpu)\n"
         "  --epochs N               TRAIN.EPOCHS\n"
         "  --no-resume-opt          resume the weights, epoch and LR schedule of --resume with a fresh\n"
         "                           optimizer (as timm's --no-resume-opt)\n"
         "Aliases of configuration keys (as in timm's train.py):\n"
         "  --seed N                 SEED\n"
         "  --lr LR                  TRAIN.BASE_LR (scaled by batch x GPUs x accumulation / 512, as every "
         "config)\n"
         "  --workers N              DATA.NUM_WORKERS\n"
         "  --model NAME             MODEL.NAME: names the run folder; for MODEL.TYPE halonet it also picks\n"
         "                           the architecture (a Focal architecture comes from --cfg)\n"
         "  --num-classes N          MODEL.NUM_CLASSES\n"
         "\n"
         "Precedence: defaults < --cfg file (and its BASE files) < --opts < the options above.\n";
}

CliArgs parse_cli(const std::vector<std::string>& args) {
  CliArgs a;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& opt = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size() || is_option(args[i + 1])) throw std::invalid_argument(opt + " needs a value");
      return args[++i];
    };
    if (opt == "-h" || opt == "--help") {
      a.help = true;
    } else if (opt == "--cfg") {
      a.cfg = value();
    } else if (opt == "--opts") {
      while (i + 1 < args.size() && !is_option(args[i + 1])) a.opts.push_back(args[++i]);
      if (a.opts.empty() || a.opts.size() % 2 != 0) {
        throw std::invalid_argument("--opts needs KEY VALUE pairs, got " + std::to_string(a.opts.size()) +
                                    " words");
      }
    } else if (opt == "--batch-size") {
      a.batch_size = parse_int(opt, value());
    } else if (opt == "--dataset") {
      a.dataset = value();
    } else if (opt == "--data-path") {
      a.data_path = value();
    } else if (opt == "--output") {
      a.output = value();
    } else if (opt == "--tag") {
      a.tag = value();
    } else if (opt == "--resume") {
      a.resume = value();
    } else if (opt == "--accumulation-steps") {
      a.accumulation_steps = parse_int(opt, value());
    } else if (opt == "--use-checkpoint") {
      a.use_checkpoint = true;
    } else if (opt == "--eval") {
      a.eval = true;
    } else if (opt == "--throughput") {
      a.throughput = true;
    } else if (opt == "--pretrained") {
      a.pretrained = value();
    } else if (opt == "--amp") {
      a.amp = value();
      parse_amp_mode(*a.amp, "--amp");
    } else if (opt == "--epochs") {
      a.epochs = parse_int(opt, value());
    } else if (opt == "--device") {
      a.device = value();
      if (a.device != "cpu" && a.device.rfind("cuda", 0) != 0) {
        throw std::invalid_argument("--device: '" + a.device + "' is not cpu or cuda[:N]");
      }
    } else if (opt == "--no-resume-opt") {
      a.no_resume_opt = true;
    } else if (opt == "--seed") {
      a.seed = parse_int(opt, value());
    } else if (opt == "--lr") {
      a.lr = parse_double(opt, value());
    } else if (opt == "--workers") {
      a.workers = parse_int(opt, value());
    } else if (opt == "--model") {
      a.model = value();
    } else if (opt == "--num-classes") {
      a.num_classes = parse_int(opt, value());
    } else if (opt == "--local_rank" || opt == "--local-rank") {
      a.local_rank = parse_int(opt, value());  // torch.distributed.launch; LOCAL_RANK wins when set
    } else if (opt.rfind("--local_rank=", 0) == 0 || opt.rfind("--local-rank=", 0) == 0) {
      a.local_rank = parse_int("--local-rank", opt.substr(opt.find('=') + 1));  // launch's --local-rank=N
    } else {
      throw std::invalid_argument("unknown option '" + opt + "'" + spelling_hint(opt) + " (see --help)");
    }
  }
  if (!a.help && a.cfg.empty()) throw std::invalid_argument("--cfg FILE is required (see --help)");
  return a;
}

Config resolve_config(const CliArgs& a) {
  if (!std::filesystem::exists(a.cfg)) throw ConfigError("--cfg " + a.cfg + ": the file does not exist");
  auto c = Config::from_file(a.cfg);
  if (!a.opts.empty()) c.merge_opts(a.opts);
  std::vector<std::string> kv;
  auto put = [&](const std::string& key, const std::string& v) { kv.insert(kv.end(), {key, v}); };
  // Strings go through YAML, so quote them to keep them strings (e.g. a tag "5").
  auto quoted = [](const std::string& s) {
    std::string q = "'";
    for (char ch : s) q += ch == '\'' ? std::string("''") : std::string(1, ch);
    return q + "'";
  };
  if (a.batch_size) put("DATA.BATCH_SIZE", std::to_string(*a.batch_size));
  if (a.dataset) put("DATA.DATASET", *a.dataset);
  if (a.data_path) put("DATA.DATA_PATH", quoted(*a.data_path));
  if (a.resume) put("MODEL.RESUME", quoted(*a.resume));
  if (a.accumulation_steps) put("TRAIN.ACCUMULATION_STEPS", std::to_string(*a.accumulation_steps));
  if (a.use_checkpoint) put("TRAIN.USE_CHECKPOINT", "true");
  if (a.tag) put("TAG", quoted(*a.tag));
  if (a.eval) put("EVAL_MODE", "true");
  if (a.throughput) put("THROUGHPUT_MODE", "true");
  if (a.pretrained) put("TRAIN.PRETRAINED", quoted(*a.pretrained));
  if (a.amp) put("TRAIN.AMP", *a.amp);
  if (a.epochs) put("TRAIN.EPOCHS", std::to_string(*a.epochs));
  if (a.seed) put("SEED", std::to_string(*a.seed));
  if (a.lr) put("TRAIN.BASE_LR", double_text(*a.lr));
  if (a.workers) put("DATA.NUM_WORKERS", std::to_string(*a.workers));
  if (a.model) put("MODEL.NAME", quoted(*a.model));
  if (a.num_classes) put("MODEL.NUM_CLASSES", std::to_string(*a.num_classes));
  if (!kv.empty()) c.merge_opts(kv);
  auto run_dir = run_directory(a.output, c.get<std::string>("MODEL.NAME"), c.get<std::string>("TAG"));
  c.set("OUTPUT", quoted(run_dir.string()));
  return c;
}

}  // namespace focal::train
