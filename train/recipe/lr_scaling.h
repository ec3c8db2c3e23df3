#pragma once
// The original main.py's linear LR scaling: base, warm-up and minimum LR are multiplied by
// total_batch / 512 (total_batch = per-process batch x world size) and, with gradient accumulation
// (steps > 1), by the number of accumulation steps.
#include <cstdint>

namespace focal::train {

struct ScaledLr {
  double base = 0;
  double warmup = 0;
  double min = 0;
};

ScaledLr linear_scaled_lr(double base_lr, double warmup_lr, double min_lr, int64_t batch_size,
                          int64_t world_size, int64_t accumulation_steps);

}  // namespace focal::train
