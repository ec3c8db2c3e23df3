#pragma once
// The key-value store through which the processes of a run find each other (c10d's TCPStore or FileStore).
//   torchrun: every worker joins the agent's store as a client, as torchrun's own workers do.
//   by hand / scheduler: rank 0 serves the store on MASTER_ADDR:MASTER_PORT, bound to that address only
//   (not to every interface); the others connect to it.
//   FOCAL_DIST_INIT_METHOD=file://PATH: a FileStore on a shared file system (tests, no TCP).
// The store is prefixed per torchrun restart so that a restarted group never reads an old attempt's keys.
#include "train/distributed/launch_env.h"

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

namespace focal::train {

c10::intrusive_ptr<c10d::Store> make_store(const LaunchEnv& env, std::chrono::milliseconds timeout);

// A TCP socket bound to `host`:`port` and listening; throws naming the address when it cannot be bound.
int listen_on(const std::string& host, int64_t port);

}  // namespace focal::train
