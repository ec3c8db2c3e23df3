#pragma once
// The evaluation pass shared by focal-eval and focal-train --eval (and its per-epoch validation): the
// original validate() (cross-entropy loss, top-1 and top-5 accuracy over every image of the loader), plus
// what a reproduction needs: a progress report with an ETA, the top-k predictions of every image for a
// predictions file, unreadable images skipped and counted instead of substituted, and the time spent waiting
// for data. Sums are reduced over processes by the caller's `reduce_sum`, so that with several ranks each
// holding exact shares every image counts once.
#include "data/loading/loader.h"

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace focal::eval {

// Logits (B, K) of a batch of images (B, C, H, W), the model in eval mode.
using ForwardFn = std::function<torch::Tensor(const torch::Tensor&)>;
// Sum over ranks of a small float64 tensor (identity for a single process).
using ReduceSumFn = std::function<torch::Tensor(const torch::Tensor&)>;

// The running figures of this process after a batch.
struct EvalProgress {
  int64_t batch = 0;    // batches done (1-based)
  int64_t batches = 0;  // batches in the pass
  int64_t images = 0;   // images evaluated so far (readable ones)
  double batch_seconds = 0, avg_batch_seconds = 0;
  double elapsed_seconds = 0, eta_seconds = 0;
  double loss = 0, loss_avg = 0;  // of the last batch, and so far
  double acc1 = 0, acc1_avg = 0;
  double acc5 = 0, acc5_avg = 0;
};

// The top-k predictions of one batch, rows in loader order (valid rows only).
struct BatchPredictions {
  torch::Tensor indices;  // (N,) int64 dataset indices
  torch::Tensor labels;   // (N,) int64 ground truth (-1 when the dataset has none)
  torch::Tensor classes;  // (N, k) int64 class indices, most probable first
  torch::Tensor probs;    // (N, k) float32 softmax probabilities
};

struct EvaluationHooks {
  ReduceSumFn reduce_sum;  // null: a single process
  std::function<void(const EvalProgress&)> on_progress;
  std::function<void(const BatchPredictions&)> on_predictions;  // null: no top-k rows are computed
};

struct EvaluationOptions {
  // Autocast dtype (bfloat16 / float16) or none.
  TORCH_ARG(std::optional<c10::ScalarType>, amp_dtype) = std::nullopt;
  // Columns of the predictions (capped at the number of classes).
  TORCH_ARG(int64_t, topk) = 5;
  // on_progress is called after every `progress_every` batches, and after the last one.
  TORCH_ARG(int64_t, progress_every) = 10;
};

struct EvaluationResult {
  double loss = 0;  // mean cross-entropy over the images
  double acc1 = 0;  // percent
  double acc5 = 0;  // percent (top-min(5, K))
  int64_t samples = 0;
  int64_t skipped = 0;           // unreadable images, left out of every figure (summed over ranks)
  double seconds = 0;            // wall time of the pass (this process)
  double data_wait_seconds = 0;  // of which waiting for the loader
  double images_per_second() const { return seconds > 0 ? static_cast<double>(samples) / seconds : 0.0; }
};

EvaluationResult run_evaluation(const ForwardFn& forward, data::Loader& loader, const torch::Device& device,
                                const EvaluationHooks& hooks = {},
                                const EvaluationOptions& options = EvaluationOptions());

// "1:02:03" / "4:05" for the progress line.
std::string format_duration(double seconds);

}  // namespace focal::eval
