#include "eval/evaluator/evaluation_loop.h"

#include "focal/runtime/autocast_scope.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace focal::eval {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(std::max(0.0, seconds) + 0.5);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld", total / 60, total % 60);
  }
  return text;
}

EvaluationResult run_evaluation(const ForwardFn& forward, data::Loader& loader, const torch::Device& device,
                                const EvaluationHooks& hooks, const EvaluationOptions& options) {
  torch::NoGradGuard no_grad;
  loader.set_epoch(0);
  const int64_t batches = loader.batches_per_epoch();
  const int64_t every = std::max<int64_t>(1, options.progress_every());
  // Sums over the readable images of this process: loss, top-1 hits, top-5 hits, images.
  double loss_sum = 0, hits1 = 0, hits5 = 0, count = 0;
  double wait = 0;
  const auto start = Clock::now();
  auto last = start;
  EvalProgress p;
  p.batches = batches;
  for (;;) {
    const auto before = Clock::now();
    auto batch = loader.next();
    wait += seconds_between(before, Clock::now());
    if (!batch) break;
    torch::Tensor images = batch->images, labels = batch->labels, indices = batch->indices;
    const bool all_valid = !batch->valid.defined() || batch->valid.all().item<bool>();
    if (!all_valid) {  // unreadable images: their rows are left out of every figure
      const auto keep = batch->valid.nonzero().squeeze(1);  // (N,)
      images = images.index_select(0, keep);                // (N, C, H, W)
      labels = labels.index_select(0, keep);                // (N,)
      indices = indices.index_select(0, keep);              // (N,)
    }
    const int64_t n = images.size(0);
    double batch_loss = 0, batch_hits1 = 0, batch_hits5 = 0;
    if (n > 0) {
      images = images.to(device, /*non_blocking=*/true);
      auto target = labels.to(device, /*non_blocking=*/true);  // (N,)
      torch::Tensor logits;
      {
        AutocastScope autocast(device.type(), options.amp_dtype());
        logits = forward(images);  // (N, K)
      }
      logits = logits.to(torch::kFloat);  // (N, K)
      const int64_t classes = logits.size(1);
      const int64_t k5 = std::min<int64_t>(5, classes);
      const int64_t kp = hooks.on_predictions ? std::min(options.topk(), classes) : 0;
      auto loss = torch::nn::functional::cross_entropy(
          logits, target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));  // ()
      auto top = std::get<1>(logits.topk(std::max(k5, kp), 1, true, true));  // (N, max(k5, kp))
      auto match = top.narrow(1, 0, k5).eq(target.unsqueeze(1));             // (N, k5)
      auto sums = torch::stack({loss, match.select(1, 0).sum().to(torch::kFloat),
                                match.any(1).sum().to(torch::kFloat)})
                      .to(torch::kCPU, torch::kDouble);  // (3,)
      batch_loss = sums[0].item<double>();
      batch_hits1 = sums[1].item<double>();
      batch_hits5 = sums[2].item<double>();
      if (kp > 0) {
        auto probs = torch::softmax(logits, 1);     // (N, K)
        auto best = probs.topk(kp, 1, true, true);  // (N, kp) each
        hooks.on_predictions(BatchPredictions{indices, labels, std::get<1>(best).to(torch::kCPU),
                                              std::get<0>(best).to(torch::kCPU)});
      }
    }
    loss_sum += batch_loss;
    hits1 += batch_hits1;
    hits5 += batch_hits5;
    count += static_cast<double>(n);

    const auto now = Clock::now();
    p.batch += 1;
    p.images = static_cast<int64_t>(count);
    p.batch_seconds = seconds_between(last, now);
    p.elapsed_seconds = seconds_between(start, now);
    p.avg_batch_seconds = p.elapsed_seconds / static_cast<double>(p.batch);
    p.eta_seconds = p.avg_batch_seconds * static_cast<double>(batches - p.batch);
    const double pct = n > 0 ? 100.0 / static_cast<double>(n) : 0.0;
    p.loss = n > 0 ? batch_loss / static_cast<double>(n) : 0.0;
    p.acc1 = batch_hits1 * pct;
    p.acc5 = batch_hits5 * pct;
    const double denom = std::max(count, 1.0);
    p.loss_avg = loss_sum / denom;
    p.acc1_avg = 100.0 * hits1 / denom;
    p.acc5_avg = 100.0 * hits5 / denom;
    last = now;
    if (hooks.on_progress && ((p.batch - 1) % every == 0 || p.batch == batches)) hooks.on_progress(p);
  }
  EvaluationResult r;
  r.seconds = seconds_between(start, Clock::now());
  r.data_wait_seconds = wait;
  // Ranks may hold different numbers of batches: one reduction at the end, not per batch.
  auto totals = torch::tensor({loss_sum, hits1, hits5, count, static_cast<double>(loader.skipped_files())},
                              torch::kDouble);  // (5,)
  if (hooks.reduce_sum) totals = hooks.reduce_sum(totals).to(torch::kCPU, torch::kDouble);
  const double images = totals[3].item<double>();
  const double denom = std::max(images, 1.0);
  r.loss = totals[0].item<double>() / denom;
  r.acc1 = 100.0 * totals[1].item<double>() / denom;
  r.acc5 = 100.0 * totals[2].item<double>() / denom;
  r.samples = static_cast<int64_t>(images + 0.5);
  r.skipped = static_cast<int64_t>(totals[4].item<double>() + 0.5);
  return r;
}

}  // namespace focal::eval
