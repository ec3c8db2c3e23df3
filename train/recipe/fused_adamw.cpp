#include "train/recipe/fused_adamw.h"

#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_fused_adamw.h>
#include <torch/torch.h>

#include <map>
#include <tuple>

namespace focal::train {

namespace {

// The tensor lists of one fused call: the kernel wants one device and one dtype per call.
struct FusedBatch {
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps;
  std::vector<torch::optim::AdamWParamState*> states;
};

}  // namespace

FusedAdamW::FusedAdamW(const std::vector<torch::optim::OptimizerParamGroup>& groups,
                       torch::optim::AdamWOptions defaults)
    : torch::optim::AdamW(groups, std::move(defaults)) {}

torch::Tensor FusedAdamW::step(LossClosure closure) {
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  fused_step(nullptr);
  return loss;
}

void FusedAdamW::step_unless(const torch::Tensor& found_inf) { fused_step(&found_inf); }

int64_t FusedAdamW::step_count(const torch::Tensor& p) const {
  auto it = steps_.find(p.unsafeGetTensorImpl());
  if (it != steps_.end()) return static_cast<int64_t>(it->second.item<float>());
  auto s = state().find(p.unsafeGetTensorImpl());
  if (s == state().end()) return 0;
  return static_cast<const torch::optim::AdamWParamState&>(*s->second).step();
}

void FusedAdamW::use_lr_tensors() {
  lr_tensors_.clear();
  for (auto& group : param_groups()) {
    const auto device = group.params().empty() ? torch::Device(torch::kCPU) : group.params().front().device();
    lr_tensors_.push_back(torch::full({}, group.options().get_lr(),
                                      torch::TensorOptions().dtype(torch::kFloat).device(device)));
  }
}

void FusedAdamW::write_lr_tensors() {
  TORCH_CHECK(lr_tensors_.size() == param_groups().size(),
              "FusedAdamW::write_lr_tensors: call use_lr_tensors() first (after the last add_param_group)");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < lr_tensors_.size(); ++i) lr_tensors_[i].fill_(param_groups()[i].options().get_lr());
}

void FusedAdamW::fused_step(const torch::Tensor* found_inf) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(lr_tensors_.empty() || lr_tensors_.size() == param_groups().size(),
              "FusedAdamW: a parameter group was added after use_lr_tensors()");
  for (size_t group_index = 0; group_index < param_groups().size(); ++group_index) {
    auto& group = param_groups()[group_index];
    auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
    std::map<std::tuple<int, int, int>, FusedBatch> batches;  // (device type, index, dtype)
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "FusedAdamW does not support sparse gradients");
      auto* key = p.unsafeGetTensorImpl();
      auto& slot = state()[key];
      if (!slot) {  // lazily, as torch::optim::AdamW: zero moments in the parameter's layout
        auto s = std::make_unique<torch::optim::AdamWParamState>();
        s->step(0);
        s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        if (o.amsgrad()) s->max_exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(s);
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*slot);
      auto step_it = steps_.find(key);
      if (step_it == steps_.end()) {
        // Created once per parameter (and after a checkpoint is loaded): the only host-to-device copy.
        step_it =
            steps_
                .emplace(key, torch::full({}, static_cast<float>(s.step()),
                                          torch::TensorOptions().dtype(torch::kFloat).device(p.device())))
                .first;
      }
      auto& b = batches[{static_cast<int>(p.device().type()), p.device().index(),
                         static_cast<int>(p.scalar_type())}];
      b.params.push_back(p);
      b.grads.push_back(p.grad());
      b.exp_avgs.push_back(s.exp_avg());
      b.exp_avg_sqs.push_back(s.exp_avg_sq());
      if (o.amsgrad()) b.max_exp_avg_sqs.push_back(s.max_exp_avg_sq());
      b.steps.push_back(step_it->second);
      b.states.push_back(&s);
    }
    const auto [beta1, beta2] = o.betas();
    for (auto& entry : batches) {
      auto& b = entry.second;
      at::_foreach_add_(b.steps, 1);  // the kernel reads the incremented count, as PyTorch's fused AdamW
      std::optional<torch::Tensor> inf;
      if (found_inf != nullptr) inf = found_inf->to(b.params.front().device());
      if (lr_tensors_.empty()) {
        at::_fused_adamw_(b.params, b.grads, b.exp_avgs, b.exp_avg_sqs, b.max_exp_avg_sqs, b.steps, o.lr(),
                          beta1, beta2, o.weight_decay(), o.eps(), o.amsgrad(), /*maximize=*/false,
                          /*grad_scale=*/std::nullopt, inf);
      } else {  // the LR as a tensor on the parameters' device: read by the kernel, not baked into a graph
        const auto lr = lr_tensors_[group_index].to(b.params.front().device());  // ()
        at::_fused_adamw_(b.params, b.grads, b.exp_avgs, b.exp_avg_sqs, b.max_exp_avg_sqs, b.steps, lr, beta1,
                          beta2, o.weight_decay(), o.eps(), o.amsgrad(), /*maximize=*/false,
                          /*grad_scale=*/std::nullopt, inf);
      }
      if (inf) {
        at::_foreach_add_(b.steps, *inf, -1);  // a skipped step does not count
      } else {
        for (auto* s : b.states) s->step(s->step() + 1);  // the host mirror, known without reading back
      }
    }
  }
}

}  // namespace focal::train
