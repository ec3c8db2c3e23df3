#pragma once
// Limits the checkpoint reader applies to untrusted files, so that a hostile or corrupt file fails with an
// error instead of exhausting memory or the call stack.
#include <torch/arg.h>

#include <cstdint>

namespace focal::io {

struct ReadOptions {
  // Values the unpickler may create (each costs ~100 bytes); real checkpoints need a few per tensor.
  TORCH_ARG(int64_t, max_objects) = int64_t{1} << 22;
  // Container nesting depth of the result (Python's own recursion limit is 1000).
  TORCH_ARG(int64_t, max_nesting) = 1000;
  // Bytes of one storage (the data of the tensors that share it). A larger one is refused before anything
  // is allocated; independently, no storage can claim more bytes than the file holds.
  TORCH_ARG(int64_t, max_storage_bytes) = int64_t{1} << 36;  // 64 GiB
  // Tensor dimensions accepted by a tensor rebuild.
  TORCH_ARG(int64_t, max_tensor_dims) = 64;
};

}  // namespace focal::io
