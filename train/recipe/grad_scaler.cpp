#include "train/recipe/grad_scaler.h"

#include "train/checkpoint/ivalue_dict.h"
#include "train/recipe/fused_adamw.h"

#include <ATen/ops/_amp_foreach_non_finite_check_and_unscale.h>
#include <ATen/ops/_amp_update_scale.h>
#include <torch/torch.h>

#include <map>
#include <stdexcept>

namespace focal::train {

GradScaler::GradScaler(GradScalerOptions options) : options_(std::move(options)) {
  if (options_.init_scale() <= 0 || options_.growth_factor() <= 1.0 || options_.backoff_factor() <= 0 ||
      options_.backoff_factor() >= 1.0 || options_.growth_interval() <= 0) {
    throw std::invalid_argument(
        "GradScaler: need init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1, "
        "growth_interval > 0");
  }
  scale_ = torch::full({}, options_.init_scale(), torch::kFloat);
  growth_tracker_ = torch::zeros({}, torch::kInt);
  found_inf_ = torch::zeros({}, torch::kFloat);
  skipped_ = torch::zeros({}, torch::kFloat);
}

void GradScaler::to_device(const torch::Device& device) {
  if (scale_.device() == device) return;
  scale_ = scale_.to(device);
  growth_tracker_ = growth_tracker_.to(device);
  found_inf_ = found_inf_.to(device);
  skipped_ = skipped_.to(device);
}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) {
  if (!enabled()) return loss;
  to_device(loss.device());
  return loss * scale_;  // () scalar
}

torch::Tensor GradScaler::unscale_async(const std::vector<torch::Tensor>& params) {
  unscaled_ = true;
  if (!enabled()) return {};
  torch::NoGradGuard no_grad;
  // The kernel takes one dtype and device per call.
  std::map<std::tuple<int, int, int>, std::vector<torch::Tensor>> groups;  // (device type, index, dtype)
  for (const auto& p : params) {
    const auto& g = p.grad();
    if (g.defined()) {
      groups[{static_cast<int>(g.device().type()), g.device().index(), static_cast<int>(g.scalar_type())}]
          .push_back(g);
    }
  }
  if (!groups.empty()) to_device(groups.begin()->second.front().device());
  found_inf_.zero_();
  // The inverse in double, then float32, as PyTorch's GradScaler computes it.
  auto inv = scale_.to(torch::kDouble).reciprocal().to(torch::kFloat);  // ()
  for (auto& entry : groups) {
    const auto device = entry.second.front().device();
    if (device == scale_.device()) {
      at::_amp_foreach_non_finite_check_and_unscale_(entry.second, found_inf_, inv);
    } else {  // gradients on another device: a flag there, folded into ours
      auto flag = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat).device(device));
      at::_amp_foreach_non_finite_check_and_unscale_(entry.second, flag, inv.to(device));
      found_inf_.copy_(torch::maximum(found_inf_, flag.to(found_inf_.device())));
    }
  }
  return found_inf_;
}

bool GradScaler::unscale(const std::vector<torch::Tensor>& params) {
  unscale_async(params);
  return found_inf();
}

namespace {
std::vector<torch::Tensor> all_params(torch::optim::Optimizer& optimizer) {
  std::vector<torch::Tensor> params;
  for (const auto& g : optimizer.param_groups())
    params.insert(params.end(), g.params().begin(), g.params().end());
  return params;
}
}  // namespace

bool GradScaler::step(torch::optim::Optimizer& optimizer) {
  if (!enabled()) {
    optimizer.step();
    return true;
  }
  if (!unscaled_) unscale_async(all_params(optimizer));
  if (found_inf()) return false;
  optimizer.step();
  return true;
}

void GradScaler::step_async(torch::optim::Optimizer& optimizer) {
  auto* fused = dynamic_cast<FusedAdamW*>(&optimizer);
  if (!enabled() || fused == nullptr) {
    step(optimizer);
    return;
  }
  if (!unscaled_) unscale_async(all_params(optimizer));
  fused->step_unless(found_inf_);
}

void GradScaler::update() {
  if (!enabled()) return;
  skipped_.add_(found_inf_);
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, options_.growth_factor(),
                         options_.backoff_factor(), options_.growth_interval());
  found_inf_.zero_();
  unscaled_ = false;
}

double GradScaler::current_scale() const { return enabled() ? scale_.item<double>() : 1.0; }
int64_t GradScaler::growth_tracker() const { return growth_tracker_.item<int64_t>(); }
bool GradScaler::found_inf() const { return enabled() && found_inf_.item<float>() > 0; }
int64_t GradScaler::skipped_steps() const { return static_cast<int64_t>(skipped_.item<float>()); }
void GradScaler::set_found_inf(bool found) { found_inf_.fill_(found ? 1.0 : 0.0); }

c10::IValue GradScaler::state_dict() const {
  auto d = make_dict();
  if (!enabled()) return d;
  d.insert("scale", current_scale());
  d.insert("growth_factor", options_.growth_factor());
  d.insert("backoff_factor", options_.backoff_factor());
  d.insert("growth_interval", options_.growth_interval());
  d.insert("_growth_tracker", growth_tracker());
  return d;
}

void GradScaler::load_state_dict(const c10::IValue& state) {
  const std::string where = "scaler state";
  auto d = as_dict(state, where);
  if (!enabled()) return;
  // A checkpoint of a run without scaling holds an empty dict; keep the initial scale then.
  if (d.size() == 0) return;
  scale_.fill_(dict_double(d, "scale", where));
  growth_tracker_.fill_(dict_int(d, "_growth_tracker", where));
  options_.growth_factor(dict_double(d, "growth_factor", where));
  options_.backoff_factor(dict_double(d, "backoff_factor", where));
  options_.growth_interval(dict_int(d, "growth_interval", where));
}

}  // namespace focal::train
