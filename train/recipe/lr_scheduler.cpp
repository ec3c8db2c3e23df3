#include "train/recipe/lr_scheduler.h"

#include "train/checkpoint/ivalue_dict.h"

#include <cmath>
#include <stdexcept>

namespace focal::train {

LrScheduler::LrScheduler(torch::optim::Optimizer& optimizer, LrSchedulerOptions options)
    : optimizer_(&optimizer), options_(std::move(options)) {
  const auto& o = options_;
  if (o.name() != "cosine" && o.name() != "linear" && o.name() != "step") {
    throw std::invalid_argument("TRAIN.LR_SCHEDULER.NAME: unknown schedule '" + o.name() +
                                "' (expected cosine, linear or step)");
  }
  if (o.t_initial() <= 0) {
    throw std::invalid_argument(
        "LR schedule: t_initial must be positive (epochs x iterations per epoch), got " +
        std::to_string(o.t_initial()));
  }
  if (o.warmup_t() < 0 || o.lr_min() < 0)
    throw std::invalid_argument("LR schedule: negative warm-up or min LR");
  for (auto& group : optimizer_->param_groups()) base_lrs_.push_back(group.options().get_lr());
  if (o.warmup_t() > 0) apply(std::vector<double>(base_lrs_.size(), o.warmup_lr_init()));
}

double LrScheduler::lr_for_group(double base, int64_t t) const {
  const auto& o = options_;
  if (t < o.warmup_t()) {
    // Linear ramp from warmup_lr_init (t = 0) towards base (t = warmup_t).
    double slope = (base - o.warmup_lr_init()) / static_cast<double>(o.warmup_t());
    return o.warmup_lr_init() + static_cast<double>(t) * slope;
  }
  if (o.name() == "step") {
    return base * std::pow(o.decay_rate(), static_cast<double>(t / std::max<int64_t>(o.decay_t(), 1)));
  }
  if (o.name() == "linear") {
    double span = static_cast<double>(o.t_initial() - o.warmup_t());
    double frac = span > 0 ? static_cast<double>(t - o.warmup_t()) / span : 1.0;
    return base - (base - base * o.lr_min_rate()) * frac;
  }
  int64_t tt = o.warmup_prefix() ? t - o.warmup_t() : t;
  int64_t cycle = tt / o.t_initial();
  if (cycle >= o.cycle_limit()) return o.lr_min();
  double t_curr = static_cast<double>(tt - cycle * o.t_initial());
  double t_i = static_cast<double>(o.t_initial());
  return o.lr_min() + 0.5 * (base - o.lr_min()) * (1.0 + std::cos(M_PI * t_curr / t_i));
}

std::vector<double> LrScheduler::lr_at(int64_t num_updates) const {
  std::vector<double> lrs;
  lrs.reserve(base_lrs_.size());
  for (double base : base_lrs_) lrs.push_back(lr_for_group(base, num_updates));
  return lrs;
}

void LrScheduler::apply(const std::vector<double>& lrs) {
  auto& groups = optimizer_->param_groups();
  for (size_t i = 0; i < groups.size() && i < lrs.size(); ++i) groups[i].options().set_lr(lrs[i]);
}

void LrScheduler::step_update(int64_t num_updates) {
  last_update_ = num_updates;
  apply(lr_at(num_updates));
}

c10::IValue LrScheduler::state_dict() const {
  const auto& o = options_;
  auto d = make_dict();
  d.insert("name", o.name());
  d.insert("t_initial", o.t_initial());
  d.insert("lr_min", o.lr_min());
  d.insert("warmup_t", o.warmup_t());
  d.insert("warmup_lr_init", o.warmup_lr_init());
  d.insert("cycle_limit", o.cycle_limit());
  d.insert("warmup_prefix", o.warmup_prefix());
  d.insert("decay_t", o.decay_t());
  d.insert("decay_rate", o.decay_rate());
  d.insert("lr_min_rate", o.lr_min_rate());
  d.insert("base_values", double_list(base_lrs_));
  d.insert("last_update", last_update_);
  return d;
}

void LrScheduler::load_state_dict(const c10::IValue& state) {
  const std::string where = "lr_scheduler state";
  auto d = as_dict(state, where);
  auto bases = dict_doubles(d, "base_values", where);
  if (bases.size() != base_lrs_.size()) {
    throw std::runtime_error(where + ": " + std::to_string(bases.size()) +
                             " parameter groups in the checkpoint, " + std::to_string(base_lrs_.size()) +
                             " in the optimizer");
  }
  base_lrs_ = bases;
  // timm's state has no position: as timm's load_state_dict, the groups keep the LR their optimizer state
  // restored until the next step_update. Ours records the position and re-applies its LR.
  last_update_ = dict_has(d, "last_update") ? dict_int(d, "last_update", where) : -1;
  // The schedule's shape comes from the current configuration; only its position and bases are restored.
  if (last_update_ >= 0) apply(lr_at(last_update_));
}

}  // namespace focal::train
