#include "train/cli.h"

#include "train/amp_mode.h"
#include "train/output_dir.h"

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

bool is_option(const std::string& s) { return s.size() > 2 && s.compare(0, 2, "--") == 0; }

}  // namespace

std::string cli_usage() {
  return "usage: focal-train --cfg FILE [--opts KEY VALUE ...] [--batch-size N] [--dataset NAME]\n"
         "                   [--data-path PATH] [--output PATH] [--tag TAG] [--resume CKPT]\n"
         "                   [--accumulation-steps N] [--use-checkpoint] [--eval] [--throughput]\n"
         "                   [--pretrained WEIGHTS.pth] [--amp bf16|fp16|off] [--device cpu|cuda] [--epochs "
         "N]\n"
         "\n"
         "Trains (or with --eval evaluates) the model of the config. Everything of a run goes to\n"
         "<output>/<MODEL.NAME>/<tag>/: config.yaml, log.txt, metrics.csv, curves.png, tensorboard/, "
         "last.pth,\n"
         "best.pth and ckpt_epoch_N.pth. A run whose folder holds last.pth resumes from it "
         "(TRAIN.AUTO_RESUME).\n"
         "Ctrl-C stops after the current step and saves last.pth.\n";
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
    } else if (opt == "--local_rank" || opt == "--local-rank") {
      value();  // set by torch.distributed.launch; ranks come from RANK / WORLD_SIZE
    } else {
      throw std::invalid_argument("unknown option '" + opt + "'\n" + cli_usage());
    }
  }
  if (!a.help && a.cfg.empty()) throw std::invalid_argument("--cfg FILE is required\n" + cli_usage());
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
  if (!kv.empty()) c.merge_opts(kv);
  auto run_dir = run_directory(a.output, c.get<std::string>("MODEL.NAME"), c.get<std::string>("TAG"));
  c.set("OUTPUT", quoted(run_dir.string()));
  return c;
}

}  // namespace focal::train
