#include "train/distributed/communicator.h"

#include "train/distributed/backends.h"
#include "train/distributed/store_factory.h"

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/comm.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

namespace focal::train {

namespace {

std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }
std::string text(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

// 250 MiB per transfer, as DDP broadcasts its parameters.
constexpr size_t kBroadcastBucketBytes = 250u * 1024u * 1024u;

}  // namespace

Communicator::Communicator(const LaunchEnv& env, CommunicatorOptions options)
    : rank_(env.rank), world_size_(env.world_size), options_(std::move(options)) {
  const int rank = static_cast<int>(rank_), size = static_cast<int>(world_size_);
  try {
    store_ = make_store(env, options_.timeout());
    group_ = c10::make_intrusive<c10d::ProcessGroup>(store_, rank, size);
    if (options_.backend() == "nccl") {
      group_->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::NCCL,
                         make_nccl_backend(store_, rank, size, options_.timeout()));
      group_->setDefaultBackend(c10d::ProcessGroup::BackendType::NCCL);
    } else if (options_.backend() == "gloo") {
      group_->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO,
                         make_gloo_backend(store_, rank, size, options_.timeout()));
      group_->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
    } else {
      throw std::invalid_argument("DIST.BACKEND '" + options_.backend() + "' is not gloo or nccl");
    }
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) +
                             ": joining the process group (" + options_.backend() + ", store at " +
                             (env.file_store.empty() ? env.master_addr + ":" + std::to_string(env.master_port)
                                                     : "file://" + env.file_store) +
                             ") failed: " + e.what());
  }
  monitor_ = std::make_unique<FailureMonitor>(
      store_, rank_, world_size_, options_.heartbeat(), options_.dead_after(),
      [this](const std::string& why) { fail("waiting for the other ranks", why); });
}

Communicator::~Communicator() = default;

torch::Tensor Communicator::on_comm_device(const torch::Tensor& t) const {
  const torch::Device d = options_.backend() == "nccl" ? options_.device() : torch::Device(torch::kCPU);
  return t.to(d, /*non_blocking=*/false, /*copy=*/true).contiguous();
}

torch::Tensor Communicator::all_reduce(const torch::Tensor& value, const std::string& what, bool max) {
  std::vector<torch::Tensor> buf{on_comm_device(value)};
  guard(what, [&] {
    c10d::AllreduceOptions o;
    o.reduceOp = max ? c10d::ReduceOp::MAX : c10d::ReduceOp::SUM;
    group_->allreduce(buf, o)->wait();
  });
  return buf[0].to(value.device());
}

void Communicator::broadcast_from_main(const std::vector<torch::Tensor>& tensors, const std::string& what) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> staged;
  staged.reserve(tensors.size());
  for (const auto& t : tensors) staged.push_back(on_comm_device(t.detach()));
  guard(what, [&] { c10d::broadcast_coalesced(group_, staged, kBroadcastBucketBytes, 0); });
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i].detach().copy_(staged[i]);
}

std::vector<std::string> Communicator::gather_to_main(const std::string& key, const std::string& mine) {
  const std::string base = "gather/" + std::to_string(sequence_++) + "/" + key + "/";
  std::vector<std::string> all;
  guard("gathering " + key + " through the store",
        [&] { store_->set(base + std::to_string(rank_), bytes(mine)); });
  // Every rank set its key before it joins this collective, which (unlike a wait on the store) fails at once
  // when a rank is gone.
  barrier("barrier after setting " + key);
  guard("gathering " + key + " through the store", [&] {
    if (rank_ != 0) return;
    for (int64_t r = 0; r < world_size_; ++r) all.push_back(text(store_->get(base + std::to_string(r))));
  });
  return all;
}

std::string Communicator::share_from_main(const std::string& key, const std::string& mine) {
  const std::string k = "share/" + std::to_string(sequence_++) + "/" + key;
  std::string out = mine;
  guard("sharing " + key + " through the store", [&] {
    if (rank_ == 0) store_->set(k, bytes(mine));
  });
  barrier("barrier after sharing " + key);  // rank 0 has set it (see gather_to_main)
  guard("receiving " + key + " from rank 0 through the store", [&] {
    if (rank_ != 0) out = text(store_->get(k));
  });
  return out;
}

void Communicator::barrier(const std::string& what) {
  // An all-reduce rather than ProcessGroup::barrier, which NCCL would run on a guessed device.
  all_reduce(torch::zeros({1}), what);
}

void Communicator::set_phase(const std::string& phase) { monitor_->set_phase(phase); }

void Communicator::guard(const std::string& what, const std::function<void()>& body) {
  try {
    body();
  } catch (const c10::Error& e) {
    fail(what, e.what_without_backtrace());  // the backend's message, not LibTorch's stack
  } catch (const std::exception& e) {
    fail(what, e.what());
  }
}

void Communicator::fail(const std::string& what, const std::string& error) {
  if (failing_.exchange(true)) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // the first failure is exiting
  }
  std::fprintf(stderr, "focal-train: error: rank %lld of %lld: %s failed: %s\n",
               static_cast<long long>(rank_), static_cast<long long>(world_size_), what.c_str(),
               error.c_str());
  std::fflush(stderr);
  if (monitor_) monitor_->report_failure(what + ": " + error);
  const std::string diagnosis = monitor_ ? monitor_->diagnose() : std::string("no failure monitor yet");
  std::fprintf(stderr, "focal-train: rank %lld: %s\n", static_cast<long long>(rank_), diagnosis.c_str());
  std::fflush(stderr);
  std::fflush(stdout);
  // Not exit(): the backend's threads may still wait on the lost peers, and its destructors would join them.
  std::_Exit(1);
}

}  // namespace focal::train
