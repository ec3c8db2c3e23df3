#pragma once
// focal-eval: evaluates one or more checkpoints of a configuration on a validation set with the original's
// eval preprocessing, and writes what a reproduction needs (results rows, per-image predictions,
// throughput). The executable (focal_eval_main.cpp) parses the command line into EvalCommand.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace focal::eval {

struct EvalCommand {
  std::string cfg;
  std::vector<std::string> checkpoints;
  std::vector<std::string> opts;  // KEY VALUE pairs
  std::optional<std::string> data_path, dataset;
  std::optional<int64_t> batch_size, workers;
  std::string device = "cpu";
  std::optional<std::string> amp;  // bf16 | fp16 | off (default: the config's TRAIN.AMP)
  int64_t limit = 0;               // first N images (0: all)
  std::string class_map;
  std::string results_file;
  std::string predictions;
  int64_t topk = 5;
  bool ema = false;
  bool throughput = false;
  int64_t throughput_batch = 64;
  int64_t print_freq = 10;  // progress line every N batches
};

// Parses focal-eval's command line; nullopt after printing --help. Throws std::invalid_argument naming the
// offending option.
std::optional<EvalCommand> parse_eval_command(int argc, char** argv);
// Runs the command; returns the process exit status (0). Throws with a message for the user on errors.
int run_eval_command(const EvalCommand& command);

}  // namespace focal::eval
