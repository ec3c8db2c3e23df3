#pragma once
// What one training epoch leaves behind: the row of metrics.csv, the points of the plot, the TensorBoard
// scalars. Values that do not apply (no EMA model) are NaN.
#include <cstdint>
#include <limits>

namespace focal::train {

struct EpochRecord {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  int64_t epoch = 0;
  int64_t step = 0;   // optimizer steps taken when the epoch ended
  double lr = kNone;  // LR of the first parameter group at the end of the epoch
  double train_loss = kNone;
  double grad_norm = kNone;
  double val_loss = kNone;
  double val_acc1 = kNone;
  double val_acc5 = kNone;
  double ema_val_loss = kNone;
  double ema_val_acc1 = kNone;
  double ema_val_acc5 = kNone;
  double max_acc1 = kNone;
  double epoch_seconds = kNone;
  double images_per_second = kNone;
  double unreadable_files = kNone;  // distinct training files found unreadable so far (skipped, each logged)
};

}  // namespace focal::train
