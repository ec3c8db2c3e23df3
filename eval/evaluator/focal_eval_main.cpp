// focal-eval: evaluates checkpoints on a validation set (see --help and eval/evaluator/eval_command.h).
#include "eval/evaluator/eval_command.h"
#include "focal/runtime/cpu_allocator.h"

#include <iostream>

int main(int argc, char** argv) {
  focal::tune_cpu_allocator();
  try {
    const auto command = focal::eval::parse_eval_command(argc, argv);
    if (!command) return 0;
    return focal::eval::run_eval_command(*command);
  } catch (const std::exception& e) {
    std::cerr << "focal-eval: " << e.what() << "\n";
    return 2;
  }
}
