#include "train/device_prefetcher.h"

#if __has_include(<c10/cuda/CUDAStream.h>) && __has_include(<ATen/cuda/CUDAEvent.h>)
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define FOCAL_PREFETCH_CUDA 1
#endif

namespace focal::train {

#ifdef FOCAL_PREFETCH_CUDA
struct DevicePrefetcher::Cuda {
  explicit Cuda(const torch::Device& device) : stream(c10::cuda::getStreamFromPool(false, device.index())) {}
  c10::cuda::CUDAStream stream;
  at::cuda::CUDAEvent ready;
  std::optional<data::Batch> pending;  // on the device, copy queued on `stream`
  bool ended = false;                  // the loader returned nullopt
};
#else
struct DevicePrefetcher::Cuda {};
#endif

DevicePrefetcher::DevicePrefetcher(data::Loader& loader, const torch::Device& device)
    : loader_(loader), device_(device) {
#ifdef FOCAL_PREFETCH_CUDA
  if (device_.is_cuda()) {
    if (device_.index() < 0) device_ = torch::Device(torch::kCUDA, c10::cuda::current_device());
    cuda_ = std::make_unique<Cuda>(device_);
  }
#endif
}

DevicePrefetcher::~DevicePrefetcher() = default;

void DevicePrefetcher::reset() {
#ifdef FOCAL_PREFETCH_CUDA
  if (cuda_) {
    cuda_->pending.reset();
    cuda_->ended = false;
  }
#endif
}

std::optional<data::Batch> DevicePrefetcher::next() {
#ifdef FOCAL_PREFETCH_CUDA
  if (cuda_) {
    auto& c = *cuda_;
    auto issue = [&] {  // queue the copy of the loader's next batch on the side stream
      auto host = c.ended ? std::nullopt : loader_.next();
      if (!host) {
        c.ended = true;
        c.pending.reset();
        return;
      }
      c10::cuda::CUDAStreamGuard guard(c.stream);
      c.pending = data::to_device(*host, device_);  // non-blocking from pinned memory
      c.ready.record(c.stream);
    };
    if (!c.pending && !c.ended) issue();  // first batch of the epoch: nothing was ahead
    if (!c.pending) return std::nullopt;
    auto batch = std::move(c.pending);
    c.pending.reset();
    auto compute = c10::cuda::getCurrentCUDAStream(device_.index());
    c.ready.block(compute);  // the compute stream waits for the copy, the host does not
    // The tensors were allocated on the side stream and are used on the compute stream.
    batch->images.record_stream(compute);
    batch->labels.record_stream(compute);
    issue();  // batch i+1 copies while batch i computes
    return batch;
  }
#endif
  auto host = loader_.next();
  if (!host) return std::nullopt;
  return data::to_device(*host, device_);
}

}  // namespace focal::train
