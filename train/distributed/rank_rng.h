#pragma once
// Every rank's random generators in one checkpoint: each rank draws its own drop-path masks and Mixup
// parameters (seeded with SEED + rank), so resuming a data-parallel run exactly needs all of them, and only
// rank 0 writes the file. The states travel through the store as length-prefixed byte strings.
#include "train/checkpoint/training_checkpoint.h"
#include "train/distributed/communicator.h"

#include <string>
#include <vector>

namespace focal::train {

std::string encode_rank_rng(const RankRng& rng);
RankRng decode_rank_rng(const std::string& bytes);  // throws on a malformed record

// Every rank's `mine`, in rank order, on rank 0; empty on the others.
std::vector<RankRng> gather_rank_rng(Communicator& comm, const RankRng& mine);

}  // namespace focal::train
