#include "focal/layers/blocks/mlp.h"

#include <torch/torch.h>

namespace focal {

MlpImpl::MlpImpl(MlpOptions options) : options_(options) { reset(); }

void MlpImpl::reset() {
  fc1 = register_module("fc1", torch::nn::Linear(options_.in_features(), options_.hidden_features()));
  fc2 = register_module("fc2", torch::nn::Linear(options_.hidden_features(), options_.in_features()));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  auto h = torch::gelu(fc1->forward(x));                     // (..., hidden)
  h = torch::dropout(h, options_.drop(), is_training());     // (..., hidden)
  auto y = fc2->forward(h);                                  // (..., C)
  return torch::dropout(y, options_.drop(), is_training());  // (..., C)
}

}  // namespace focal
