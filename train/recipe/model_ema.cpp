#include "train/recipe/model_ema.h"

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

void ModelEma::update(const torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  const double d = decay_;
  for_each_pair(model, [d](torch::Tensor& e, const torch::Tensor& m) {
    if (e.is_floating_point()) {
      e.mul_(d).add_(m.detach().to(e.device()), 1.0 - d);  // (same shape as the parameter)
    } else {
      e.copy_(m);
    }
  });
}

}  // namespace focal::train
