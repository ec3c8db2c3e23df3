#pragma once
// Sample orders and their split across data-parallel ranks, with torch.utils.data.DistributedSampler's
// semantics: the order is padded by wrapping around to a multiple of world_size (or truncated when
// drop_last), and rank r takes positions r, r + world_size, ...
#include <cstdint>
#include <vector>

namespace focal::data {

// torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch)).
std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch);
std::vector<int64_t> sequential_order(int64_t n);

// Samples per rank: ceil(n / world) without drop_last, floor(n / world) with it.
int64_t samples_per_rank(int64_t n, int64_t world_size, bool drop_last);
std::vector<int64_t> distributed_share(const std::vector<int64_t>& order, int64_t rank, int64_t world_size,
                                       bool drop_last);
// Without padding or truncation: rank r takes positions r, r + world_size, ... below n, so that every sample
// is seen exactly once over all ranks (shares differ by at most one). For evaluation, where a padded
// duplicate would be counted twice in top-1.
int64_t exact_share_size(int64_t n, int64_t rank, int64_t world_size);
std::vector<int64_t> exact_share(const std::vector<int64_t>& order, int64_t rank, int64_t world_size);

}  // namespace focal::data
