#pragma once
// Validation as the original validate(): cross-entropy loss, top-1 and top-5 accuracy over the whole
// validation loader, averaged over images; with several processes each image is evaluated on exactly one
// rank and the sums are reduced over ranks, so every image counts once. The pass itself is focal-eval's
// (eval/evaluator/evaluation_loop.h); this adapts it to the training run's context and log.
#include "data/loading/loader.h"
#include "train/distributed.h"
#include "train/recipe/amp_mode.h"

#include <torch/nn/module.h>
#include "train/output/run_log.h"

#include <functional>
#include <memory>

namespace focal::train {

struct EvalResult {
  double loss = 0;
  double acc1 = 0;
  double acc5 = 0;
  int64_t samples = 0;
  int64_t skipped = 0;  // unreadable images (substituted by the training loader, left out by focal-eval's)
};

using ForwardFn = std::function<torch::Tensor(const torch::Tensor&)>;

// Runs `forward` (in eval mode: the caller sets module.eval()) on every batch of `loader` (epoch 0) without
// gradients. `label` names the model in the progress lines ("model", "EMA"); logs every print_freq batches
// when `logger` is given.
EvalResult evaluate(const ForwardFn& forward, data::Loader& loader, const torch::Device& device, AmpMode amp,
                    const DistributedContext& dist, RunLog* logger, int64_t print_freq,
                    const std::string& label);

}  // namespace focal::train
