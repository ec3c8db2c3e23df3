#include "train/recipe/lr_scaling.h"

namespace focal::train {

ScaledLr linear_scaled_lr(double base_lr, double warmup_lr, double min_lr, int64_t batch_size,
                          int64_t world_size, int64_t accumulation_steps) {
  // The reference batch of the recipe is 512 images.
  const double factor = static_cast<double>(batch_size * world_size) / 512.0 *
                        (accumulation_steps > 1 ? static_cast<double>(accumulation_steps) : 1.0);
  return {base_lr * factor, warmup_lr * factor, min_lr * factor};
}

}  // namespace focal::train
