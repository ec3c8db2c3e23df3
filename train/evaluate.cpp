#include "train/evaluate.h"

#include "eval/evaluator/evaluation_loop.h"
#include "train/output/resource_usage.h"
#include "train/output/text_format.h"

namespace focal::train {

EvalResult evaluate(const ForwardFn& forward, data::Loader& loader, const torch::Device& device, AmpMode amp,
                    const DistributedContext& dist, RunLog* logger, int64_t print_freq,
                    const std::string& label) {
  eval::EvaluationHooks hooks;
  hooks.reduce_sum = [&](const torch::Tensor& t) {
    return reduce_sum(t, dist, "all-reduce of the " + label + " validation metrics");
  };
  if (logger != nullptr) {
    // Local running figures of this rank; the result is summed over ranks.
    hooks.on_progress = [&](const eval::EvalProgress& p) {
      logger->info(
          strformat("Test %s: [%lld/%lld]  eta %s  time %.3f (%.3f)  loss %.4f (%.4f)  acc@1 %.3f (%.3f)  "
                    "acc@5 %.3f (%.3f)  mem %.0fMB",
                    label.c_str(), static_cast<long long>(p.batch - 1), static_cast<long long>(p.batches),
                    eval::format_duration(p.eta_seconds).c_str(), p.batch_seconds, p.avg_batch_seconds,
                    p.loss, p.loss_avg, p.acc1, p.acc1_avg, p.acc5, p.acc5_avg, memory_mib(device)));
    };
  }
  const auto r = eval::run_evaluation(
      forward, loader, device, hooks,
      eval::EvaluationOptions().amp_dtype(amp_dtype(amp)).progress_every(std::max<int64_t>(1, print_freq)));
  EvalResult out{r.loss, r.acc1, r.acc5, r.samples, r.skipped};
  if (logger != nullptr) {
    logger->info(strformat(
        " * %s: acc@1 %.3f  acc@5 %.3f  loss %.4f  (%lld images%s)", label.c_str(), out.acc1, out.acc5,
        out.loss, static_cast<long long>(out.samples),
        out.skipped > 0 ? strformat(", %lld unreadable", static_cast<long long>(out.skipped)).c_str() : ""));
  }
  return out;
}

}  // namespace focal::train
