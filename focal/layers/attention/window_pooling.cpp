#include "focal/layers/attention/window_pooling.h"

#include <torch/torch.h>

#include <vector>

namespace focal {
namespace {

// Centre-crops or zero-pads dimension `dim` of x to `target` (the original's trim/pad of pooled levels).
torch::Tensor fit_dimension(const torch::Tensor& x, int64_t dim, int64_t target) {
  const int64_t size = x.size(dim);
  if (size > target) return x.narrow(dim, (size - target) / 2, target);
  if (size < target) {
    const int64_t before = (target - size) / 2, after = target - size - before;
    std::vector<int64_t> pad(2 * (x.dim() - dim), 0);  // F.pad order: last dimension first
    const int64_t slot = 2 * (x.dim() - 1 - dim);
    pad[slot] = before;
    pad[slot + 1] = after;
    return torch::constant_pad_nd(x, pad, 0);
  }
  return x;
}

}  // namespace

void append_window_pool_layers(torch::nn::ModuleList& layers, const std::string& method, int64_t dim,
                               int64_t window, int64_t levels) {
  TORCH_CHECK(method == "fc" || method == "conv" || method == "mean" || method == "max",
              "unknown focal pooling method '", method, "' (fc, conv, mean, max or none)");
  for (int64_t k = 0; k < levels; ++k) {
    const int64_t sub = window >> k;
    TORCH_CHECK(sub > 0, "focal level ", k + 1, " pools windows of ", window, " tokens into nothing");
    if (method == "fc") {
      layers->push_back(torch::nn::Linear(sub * sub, 1));
    } else if (method == "conv") {
      layers->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, dim, sub).stride(sub).groups(dim)));
    }
  }
}

torch::Tensor pool_windows(const torch::Tensor& x, int64_t level, int64_t window, const std::string& method,
                           torch::nn::ModuleList layers) {
  const int64_t batch = x.size(0), dim = x.size(3), sub = window >> level;
  const int64_t ph = (x.size(1) + window - 1) / window << level,
                pw = (x.size(2) + window - 1) / window << level;
  auto fitted = fit_dimension(fit_dimension(x, 1, ph * sub), 2, pw * sub);  // (B, ph*sub, pw*sub, C)
  if (method == "conv") {
    auto conv = layers[level]->as<torch::nn::Conv2d>();
    return conv
        ->forward(fitted.permute({0, 3, 1, 2}))  // (B, C, ph, pw)
        .permute({0, 2, 3, 1});                  // (B, ph, pw, C)
  }
  auto windows = fitted.view({batch, ph, sub, pw, sub, dim});  // (B, ph, sub, pw, sub, C)
  if (method == "mean") return windows.mean({2, 4});           // (B, ph, pw, C)
  if (method == "max") return windows.amax({2, 4});            // (B, ph, pw, C)
  auto fc = layers[level]->as<torch::nn::Linear>();
  auto weight = fc->weight.view({sub, sub});                              // (sub, sub)
  return torch::einsum("bhiwjc,ij->bhwc", {windows, weight}) + fc->bias;  // (B, ph, pw, C)
}

}  // namespace focal
