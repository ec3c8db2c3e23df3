#pragma once
// The command line of focal-train, compatible with the original main.py (--cfg, --opts, --batch-size,
// --data-path, --output, --tag, --resume, --accumulation-steps, --use-checkpoint, --eval, --throughput,
// --dataset, --local_rank) plus --pretrained, --amp, --device, --epochs, --no-resume-opt and the aliases a
// PyTorch/timm user reaches for: --seed, --lr, --workers, --model, --num-classes.
#include "focal/config/config.h"

#include <optional>
#include <string>
#include <vector>

namespace focal::train {

struct CliArgs {
  std::string cfg;
  std::vector<std::string> opts;  // KEY VALUE pairs
  std::optional<int64_t> batch_size;
  std::optional<std::string> dataset;
  std::optional<std::string> data_path;
  std::string output = "output";
  std::optional<std::string> tag;
  std::optional<std::string> resume;
  std::optional<int64_t> accumulation_steps;
  bool use_checkpoint = false;
  bool eval = false;
  bool throughput = false;
  std::optional<std::string> pretrained;
  std::optional<std::string> amp;
  std::optional<int64_t> epochs;
  // Aliases of config keys: SEED, TRAIN.BASE_LR, DATA.NUM_WORKERS, MODEL.NAME, MODEL.NUM_CLASSES.
  std::optional<int64_t> seed;
  std::optional<double> lr;
  std::optional<int64_t> workers;
  std::optional<std::string> model;
  std::optional<int64_t> num_classes;
  bool no_resume_opt = false;         // resume --resume's weights and schedule with a fresh optimizer (timm)
  std::string device = "cpu";         // "cpu" | "cuda" | "cuda:N"
  std::optional<int64_t> local_rank;  // --local_rank / --local-rank=N of torch.distributed.launch
  bool help = false;
};

std::string cli_usage();
// Throws std::invalid_argument naming the offending option.
CliArgs parse_cli(const std::vector<std::string>& args);

// The original update_config order: defaults, --cfg file (with its BASE files), --opts, then the
// convenience options; OUTPUT becomes <output>/<MODEL.NAME>/<TAG>. Errors are focal::ConfigError naming the
// key and the file or "command line".
Config resolve_config(const CliArgs& args);

}  // namespace focal::train
