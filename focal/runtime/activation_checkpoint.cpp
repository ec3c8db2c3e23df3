#include "focal/runtime/activation_checkpoint.h"

#include <torch/torch.h>

namespace focal {
namespace {

struct FunctionHolder : torch::CustomClassHolder {
  TensorFunction fn;
  at::Generator generator;
  c10::intrusive_ptr<c10::TensorImpl> rng_state;
};

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x,
                               c10::intrusive_ptr<FunctionHolder> holder) {
    holder->generator = at::globalContext().defaultGenerator(x.device());
    holder->rng_state = holder->generator.get_state().getIntrusivePtr();
    ctx->saved_data["holder"] = c10::IValue::make_capsule(holder);
    ctx->save_for_backward({x});
    torch::NoGradGuard no_grad;
    return holder->fn(x);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    auto holder = c10::static_intrusive_pointer_cast<FunctionHolder>(ctx->saved_data["holder"].toCapsule());
    auto x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    // Replay the forward pass's random draws, then restore the generator for whatever follows.
    auto current = holder->generator.get_state();
    holder->generator.set_state(at::Tensor(holder->rng_state));
    torch::Tensor y;
    {
      torch::AutoGradMode enable(true);
      y = holder->fn(x);
    }
    holder->generator.set_state(current);
    torch::autograd::backward({y}, {grad_outputs[0]});
    return {x.grad(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed(const TensorFunction& fn, const torch::Tensor& x) {
  if (!torch::GradMode::is_enabled() || !x.requires_grad()) return fn(x);
  auto holder = c10::make_intrusive<FunctionHolder>();
  holder->fn = fn;
  return CheckpointFunction::apply(x, holder);
}

}  // namespace focal
