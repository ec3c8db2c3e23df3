#pragma once
// Exponential moving average of a model's weights (timm ModelEmaV2 semantics, as the original uses
// timm.utils.ModelEma): after every optimizer step, each floating-point parameter and buffer of the EMA copy
// becomes decay * ema + (1 - decay) * model; integer buffers are copied. The EMA copy is a second instance of
// the same architecture, evaluated alongside the model.
//
// The update is two multi-tensor operations (_foreach_mul_, _foreach_add_) over the floating-point tensors,
// paired by name.
#include <torch/nn/module.h>

#include <memory>
#include <vector>

namespace focal::train {

class ModelEma {
 public:
  // `ema_module` must have the same parameters and buffers (names and shapes) as the model it tracks;
  // it is put in eval mode and excluded from autograd.
  ModelEma(std::shared_ptr<torch::nn::Module> ema_module, double decay);

  // Copies the model's weights into the EMA (its start, and after loading pretrained weights).
  void set(const torch::nn::Module& model);
  void update(const torch::nn::Module& model);

  double decay() const { return decay_; }
  torch::nn::Module& module() { return *ema_; }
  std::shared_ptr<torch::nn::Module> module_ptr() const { return ema_; }

 private:
  template <class Fn>
  void for_each_pair(const torch::nn::Module& model, Fn fn);
  void pair_with(const torch::nn::Module& model);

  std::shared_ptr<torch::nn::Module> ema_;
  double decay_;
  // The pairing (by name) of the EMA's tensors with the model's: floating-point ones are averaged, the
  // others copied.
  std::vector<torch::Tensor> ema_float_, model_float_, ema_other_, model_other_;
};

}  // namespace focal::train
