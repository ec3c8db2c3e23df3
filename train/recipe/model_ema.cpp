#include "train/recipe/model_ema.h"

#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_mul.h>
#include <torch/torch.h>

#include <stdexcept>

namespace focal::train {

ModelEma::ModelEma(std::shared_ptr<torch::nn::Module> ema_module, double decay)
    : ema_(std::move(ema_module)), decay_(decay) {
  if (!ema_) throw std::invalid_argument("ModelEma: no module given");
  if (decay_ < 0.0 || decay_ > 1.0) throw std::invalid_argument("TRAIN.EMA.DECAY must lie in [0, 1]");
  ema_->eval();
  for (auto& p : ema_->parameters()) p.set_requires_grad(false);
}

template <class Fn>
void ModelEma::for_each_pair(const torch::nn::Module& model, Fn fn) {
  auto mine_p = ema_->named_parameters();
  auto mine_b = ema_->named_buffers();
  auto theirs_p = model.named_parameters();
  auto theirs_b = model.named_buffers();
  if (mine_p.size() != theirs_p.size() || mine_b.size() != theirs_b.size()) {
    throw std::runtime_error(
        "ModelEma: the EMA copy and the model have different parameter or buffer counts");
  }
  auto visit = [&](auto& mine, auto& theirs) {
    for (const auto& item : theirs) {
      auto* e = mine.find(item.key());
      if (e == nullptr || !e->sizes().equals(item.value().sizes())) {
        throw std::runtime_error("ModelEma: '" + item.key() +
                                 "' is missing or has another shape in the EMA copy");
      }
      fn(*e, item.value());
    }
  };
  visit(mine_p, theirs_p);
  visit(mine_b, theirs_b);
}

void ModelEma::set(const torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for_each_pair(model, [](torch::Tensor& e, const torch::Tensor& m) { e.copy_(m); });
}

void ModelEma::pair_with(const torch::nn::Module& model) {
  ema_float_.clear(), model_float_.clear(), ema_other_.clear(), model_other_.clear();
  for_each_pair(model, [&](torch::Tensor& e, const torch::Tensor& m) {
    const bool averaged = e.is_floating_point() && m.is_floating_point() && e.device() == m.device() &&
                          e.scalar_type() == m.scalar_type();
    (averaged ? ema_float_ : ema_other_).push_back(e);
    (averaged ? model_float_ : model_other_).push_back(m);
  });
}

void ModelEma::update(const torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  // Paired by name on every update (cheap next to the kernels): a module may re-register a tensor.
  pair_with(model);
  // ema = decay * ema + (1 - decay) * model, as e.mul_(d).add_(m, 1 - d) per tensor.
  if (!ema_float_.empty()) {
    at::_foreach_mul_(ema_float_, decay_);
    at::_foreach_add_(ema_float_, model_float_, 1.0 - decay_);
  }
  for (size_t i = 0; i < ema_other_.size(); ++i) {
    if (ema_other_[i].is_floating_point()) {  // another device or dtype than the model's copy
      ema_other_[i].mul_(decay_).add_(model_other_[i].to(ema_other_[i].device(), ema_other_[i].scalar_type()),
                                      1.0 - decay_);
    } else {
      ema_other_[i].copy_(model_other_[i]);
    }
  }
}

}  // namespace focal::train
