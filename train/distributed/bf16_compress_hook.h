#pragma once
// The all-reduce of a gradient bucket in bfloat16 (DDP's bf16_compress_hook): the bucket is divided by the
// world size, cast to bfloat16, summed over ranks and cast back into the bucket. Halves the bytes on the
// wire for about 3 significant digits less in the averaged gradient.
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>

namespace focal::train {

class Bf16CompressHook : public c10d::CppCommHookInterface<c10::intrusive_ptr<c10d::ProcessGroup>> {
 public:
  explicit Bf16CompressHook(const c10::intrusive_ptr<c10d::ProcessGroup>& group)
      : c10d::CppCommHookInterface<c10::intrusive_ptr<c10d::ProcessGroup>>(group) {}

  c10::intrusive_ptr<c10::ivalue::Future> runHook(c10d::GradBucket& bucket) override;
};

}  // namespace focal::train
