#include "train/distributed/bf16_compress_hook.h"

#include <torch/torch.h>

namespace focal::train {

c10::intrusive_ptr<c10::ivalue::Future> Bf16CompressHook::runHook(c10d::GradBucket& bucket) {
  // Divide first: the sum of world_size gradients could overflow where their mean does not.
  auto compressed = bucket.getBufferRef().to(torch::kBFloat16).div_(state_->getSize());  // (numel,)
  std::vector<at::Tensor> tensors{compressed};
  auto reduced = state_->allreduce(tensors)->getFuture();
  at::Tensor buffer = bucket.getBufferRef();
  auto decompress = [buffer](c10::ivalue::Future& done) {
    at::Tensor out = buffer;  // shares the bucket storage
    out.copy_(done.value().toTensorVector()[0]);
    return c10::IValue(out);
  };
  return reduced->then(decompress, c10::TensorType::get());
}

}  // namespace focal::train
