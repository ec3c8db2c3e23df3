#pragma once
// Every process of a run must build the same run: the same resolved configuration and the same model. A
// difference (a rank started with another YAML file or --opts, another build) would train silently on
// mismatched replicas, so it is an error on every rank that names the first differing key or parameter.
#include "train/distributed/communicator.h"

#include <torch/nn/module.h>

#include <string>

namespace focal::train {

// The run's signature: the configuration dump (without LOCAL_RANK, which differs by design) followed by
// every parameter and buffer with its shape and dtype.
std::string run_signature(const std::string& config_yaml, const torch::nn::Module& model);

// "" when equal; otherwise the first difference, e.g. "DATA.BATCH_SIZE: 128 on rank 0, 64 on rank 3".
std::string first_difference(const std::string& main_signature, const std::string& other, int64_t other_rank);

// Throws std::runtime_error (on every rank) when a rank's signature differs from rank 0's.
void check_same_run(Communicator& comm, const std::string& signature);

// Rank 0's parameters and buffers on every rank (as DDP does at construction).
void broadcast_module(Communicator& comm, torch::nn::Module& module, const std::string& what);

}  // namespace focal::train
