#include "train/evaluate.h"

#include "focal/runtime/autocast_scope.h"

#include "train/metrics.h"
#include "train/output/resource_usage.h"
#include "train/output/text_format.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace focal::train {

EvalResult evaluate(const ForwardFn& forward, data::Loader& loader, const torch::Device& device, AmpMode amp,
                    const DistributedContext& dist, RunLog* logger, int64_t print_freq,
                    const std::string& label) {
  torch::NoGradGuard no_grad;
  loader.set_epoch(0);
  AverageMeter loss_m, acc1_m, acc5_m, time_m;
  const int64_t batches = loader.batches_per_epoch();
  auto last = std::chrono::steady_clock::now();
  int64_t idx = 0;
  while (auto batch = loader.next()) {
    auto b = data::to_device(*batch, device);
    torch::Tensor logits;
    {
      AutocastScope autocast(device.type(), amp_dtype(amp));
      logits = forward(b.images);  // (B, K)
    }
    logits = logits.to(torch::kFloat);                                   // (B, K)
    auto loss = torch::nn::functional::cross_entropy(logits, b.labels);  // ()
    auto acc = topk_accuracy(logits, b.labels, {1, 5});
    const double n = static_cast<double>(b.labels.size(0));
    // Local running figures for the progress lines; the result below is summed over ranks.
    loss_m.update(loss.item<double>(), n);
    acc1_m.update(acc[0], n);
    acc5_m.update(acc[1], n);
    auto now = std::chrono::steady_clock::now();
    time_m.update(std::chrono::duration<double>(now - last).count());
    last = now;
    if (logger != nullptr && idx % print_freq == 0) {
      logger->info(
          strformat("Test %s: [%lld/%lld]  time %.3f (%.3f)  loss %.4f (%.4f)  acc@1 %.3f (%.3f)  "
                    "acc@5 %.3f (%.3f)  mem %.0fMB",
                    label.c_str(), static_cast<long long>(idx), static_cast<long long>(batches), time_m.val,
                    time_m.avg(), loss_m.val, loss_m.avg(), acc1_m.val, acc1_m.avg(), acc5_m.val,
                    acc5_m.avg(), memory_mib(device)));
    }
    ++idx;
  }
  // Each image is on exactly one rank (the validation loader does not pad), so sums over ranks count every
  // image once; ranks may hold different numbers of batches, hence one reduction at the end, not per batch.
  auto sums =
      reduce_sum(torch::tensor({loss_m.sum, acc1_m.sum, acc5_m.sum, loss_m.count}, torch::kDouble), dist,
                 "all-reduce of the " + label + " validation metrics");  // (4,)
  const double count = sums[3].item<double>();
  const double denom = std::max(count, 1.0);
  EvalResult r{sums[0].item<double>() / denom, sums[1].item<double>() / denom, sums[2].item<double>() / denom,
               static_cast<int64_t>(std::llround(count))};
  if (logger != nullptr) {
    logger->info(strformat(" * %s: acc@1 %.3f  acc@5 %.3f  loss %.4f  (%lld images)", label.c_str(), r.acc1,
                           r.acc5, r.loss, static_cast<long long>(r.samples)));
  }
  return r;
}

}  // namespace focal::train
