#pragma once
// The c10d communication backends LibTorch provides: Gloo for CPU tensors, NCCL for CUDA tensors (one GPU
// per process). Each is compiled in its own file because its header needs a third-party header of its own
// (gloo/ from Debian's libgloo-dev, nccl.h from the CUDA installation).
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

namespace focal::train {

// GLOO_SOCKET_IFNAME picks the network interface (as in PyTorch); otherwise the address this host's name
// resolves to, or the loopback interface when that is all there is.
c10::intrusive_ptr<c10d::Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int world_size, std::chrono::milliseconds timeout);

// Throws when this LibTorch was built without NCCL.
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                    int world_size, std::chrono::milliseconds timeout);
bool nccl_available();

}  // namespace focal::train
