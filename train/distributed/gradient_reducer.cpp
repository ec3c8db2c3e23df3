#include "train/distributed/gradient_reducer.h"

#include "train/distributed/bf16_compress_hook.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace focal::train {

GradientReducer::GradientReducer(std::vector<torch::Tensor> params, std::vector<std::string> names,
                                 Communicator& comm, GradientReducerOptions options)
    : options_(options) {
  // A parameter with a dimension of size 1 may receive a gradient whose stride along it differs from the
  // parameter's (still contiguous, so autograd keeps it); the Reducer then warns of a layout mismatch. Such
  // gradients are re-laid out like their parameter before they are accumulated (only these small tensors).
  for (auto& p : params) {
    if (std::find(p.sizes().begin(), p.sizes().end(), 1) == p.sizes().end()) continue;
    const std::vector<int64_t> strides = p.strides().vec();
    p.register_hook([strides](const torch::Tensor& g) {
      if (g.strides() == c10::IntArrayRef(strides)) return g;
      return torch::empty_strided(g.sizes(), strides, g.options()).copy_(g);
    });
  }
  const std::vector<bool> sparse(params.size(), false);
  for (const auto& p : params) gradient_bytes_ += p.numel() * static_cast<int64_t>(p.element_size());
  // As DDP without unused parameters: one bucket for the first step (whose backward records the real
  // order of the gradients), then buckets rebuilt in that order.
  // With unused parameters DDP keeps the sized buckets from the start (1 MiB first, then the cap).
  const auto cap = static_cast<size_t>(options.bucket_cap_mb()) * 1024u * 1024u;
  const std::vector<size_t> first_limits =
      options.find_unused_parameters()
          ? std::vector<size_t>{static_cast<size_t>(c10d::kDefaultFirstBucketBytes), cap}
          : std::vector<size_t>{std::numeric_limits<size_t>::max()};
  auto assignment = c10d::compute_bucket_assignment_by_size(params, first_limits, sparse, {}, std::nullopt);
  auto buckets = std::get<0>(assignment);
  std::reverse(buckets.begin(), buckets.end());
  num_buckets_ = static_cast<int64_t>(buckets.size());
  std::unordered_map<size_t, std::string> param_names;
  for (size_t i = 0; i < names.size(); ++i) param_names[i] = names[i];
  reducer_ = std::make_shared<c10d::Reducer>(
      std::move(params), std::move(buckets), comm.process_group(), sparse,
      options.bucket_cap_mb() * 1024 * 1024, options.find_unused_parameters(),
      /*gradient_as_bucket_view=*/false, std::move(param_names),
      static_cast<int64_t>(c10d::kDefaultFirstBucketBytes), /*skip_all_reduce_unused_params=*/false,
      /*use_python_reducer=*/false, std::vector<int64_t>{});
  if (options.bf16_compress())
    reducer_->register_comm_hook(std::make_unique<Bf16CompressHook>(comm.process_group()));
}

GradientReducer::~GradientReducer() = default;

void GradientReducer::before_forward(bool sync) {
  if (!sync) return;
  if (reducer_->rebuild_buckets()) num_buckets_ = -1;  // rebuilt; the count is read lazily below
  if (num_buckets_ < 0) num_buckets_ = static_cast<int64_t>(reducer_->get_grad_buckets(false).size());
  reducer_->prepare_for_forward();
}

void GradientReducer::before_backward(bool sync, const std::vector<torch::Tensor>& outputs) {
  if (!sync) return;
  reducer_->prepare_for_backward(options_.find_unused_parameters() ? outputs : std::vector<torch::Tensor>{});
}

}  // namespace focal::train
