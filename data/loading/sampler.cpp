#include "data/loading/sampler.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <numeric>
#include <stdexcept>
#include <string>

namespace focal::data {

std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + static_cast<uint64_t>(epoch));
  const torch::Tensor perm = torch::randperm(n, gen, torch::kLong);
  const int64_t* p = perm.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + n);
}

std::vector<int64_t> sequential_order(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  return order;
}

int64_t samples_per_rank(int64_t n, int64_t world_size, bool drop_last) {
  if (drop_last && n % world_size != 0) return (n - world_size + world_size - 1) / world_size;
  return (n + world_size - 1) / world_size;
}

namespace {

void check_rank(int64_t rank, int64_t world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size) {
    throw std::invalid_argument("distributed sampler: rank " + std::to_string(rank) + " outside world size " +
                                std::to_string(world_size));
  }
}

}  // namespace

std::vector<int64_t> distributed_share(const std::vector<int64_t>& order, int64_t rank, int64_t world_size,
                                       bool drop_last) {
  check_rank(rank, world_size);
  const auto n = static_cast<int64_t>(order.size());
  const int64_t per_rank = samples_per_rank(n, world_size, drop_last);
  const int64_t total = per_rank * world_size;
  std::vector<int64_t> share;
  share.reserve(static_cast<size_t>(per_rank));
  if (n == 0) return share;
  // Position i of the padded order is order[i % n] (padding repeats the order from its start).
  for (int64_t i = rank; i < total; i += world_size) share.push_back(order[static_cast<size_t>(i % n)]);
  return share;
}

int64_t exact_share_size(int64_t n, int64_t rank, int64_t world_size) {
  check_rank(rank, world_size);
  return rank < n ? (n - rank + world_size - 1) / world_size : 0;
}

std::vector<int64_t> exact_share(const std::vector<int64_t>& order, int64_t rank, int64_t world_size) {
  const auto n = static_cast<int64_t>(order.size());
  std::vector<int64_t> share;
  share.reserve(static_cast<size_t>(exact_share_size(n, rank, world_size)));
  for (int64_t i = rank; i < n; i += world_size) share.push_back(order[static_cast<size_t>(i)]);
  return share;
}

}  // namespace focal::data
