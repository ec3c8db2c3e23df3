#include "train/recipe/grad_scaler.h"

#include "train/checkpoint/ivalue_dict.h"

#include <torch/torch.h>

#include <stdexcept>

namespace focal::train {

GradScaler::GradScaler(GradScalerOptions options)
    : options_(std::move(options)), scale_(options_.init_scale()) {
  if (options_.init_scale() <= 0 || options_.growth_factor() <= 1.0 || options_.backoff_factor() <= 0 ||
      options_.backoff_factor() >= 1.0 || options_.growth_interval() <= 0) {
    throw std::invalid_argument(
        "GradScaler: need init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1, "
        "growth_interval > 0");
  }
}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) const {
  if (!enabled()) return loss;
  return loss * scale_;  // () scalar
}

bool GradScaler::unscale(const std::vector<torch::Tensor>& params) {
  found_inf_ = false;
  unscaled_ = true;
  if (!enabled()) return false;
  torch::NoGradGuard no_grad;
  const double inv = 1.0 / scale_;
  std::vector<torch::Tensor> finite_flags;
  for (const auto& p : params) {
    auto g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inv);
    finite_flags.push_back(torch::isfinite(g).all());  // () bool
  }
  // One host synchronisation for all parameters.
  if (!finite_flags.empty()) found_inf_ = !torch::stack(finite_flags).all().item<bool>();
  return found_inf_;
}

bool GradScaler::step(torch::optim::Optimizer& optimizer) {
  if (!enabled()) {
    optimizer.step();
    return true;
  }
  if (!unscaled_) {
    std::vector<torch::Tensor> params;
    for (const auto& g : optimizer.param_groups())
      params.insert(params.end(), g.params().begin(), g.params().end());
    unscale(params);
  }
  if (found_inf_) return false;
  optimizer.step();
  return true;
}

void GradScaler::update() {
  if (!enabled()) return;
  if (found_inf_) {
    scale_ *= options_.backoff_factor();
    growth_tracker_ = 0;
  } else if (++growth_tracker_ == options_.growth_interval()) {
    scale_ *= options_.growth_factor();
    growth_tracker_ = 0;
  }
  found_inf_ = false;
  unscaled_ = false;
}

c10::IValue GradScaler::state_dict() const {
  auto d = make_dict();
  if (!enabled()) return d;
  d.insert("scale", scale_);
  d.insert("growth_factor", options_.growth_factor());
  d.insert("backoff_factor", options_.backoff_factor());
  d.insert("growth_interval", options_.growth_interval());
  d.insert("_growth_tracker", growth_tracker_);
  return d;
}

void GradScaler::load_state_dict(const c10::IValue& state) {
  const std::string where = "scaler state";
  auto d = as_dict(state, where);
  if (!enabled()) return;
  // A checkpoint of a run without scaling holds an empty dict; keep the initial scale then.
  if (d.size() == 0) return;
  scale_ = dict_double(d, "scale", where);
  growth_tracker_ = dict_int(d, "_growth_tracker", where);
  options_.growth_factor(dict_double(d, "growth_factor", where));
  options_.backoff_factor(dict_double(d, "backoff_factor", where));
  options_.growth_interval(dict_int(d, "growth_interval", where));
}

}  // namespace focal::train
