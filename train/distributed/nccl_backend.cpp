#include "train/distributed/backends.h"

#include <stdexcept>

#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace focal::train {

bool nccl_available() {
#ifdef USE_C10D_NCCL
  return true;
#else
  return false;
#endif
}

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int world_size, std::chrono::milliseconds timeout) {
#ifdef USE_C10D_NCCL
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world_size, options);
#else
  (void)store;
  (void)rank;
  (void)world_size;
  (void)timeout;
  throw std::runtime_error(
      "DIST.BACKEND nccl: this LibTorch was built without NCCL (use a CUDA build of "
      "LibTorch, or DIST.BACKEND gloo)");
#endif
}

}  // namespace focal::train
