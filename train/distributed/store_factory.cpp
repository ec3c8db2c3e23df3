#include "train/distributed/store_factory.h"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace focal::train {

int listen_on(const std::string& host, int64_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    throw std::runtime_error("store address " + where + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, &freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) return fd;
    last_error = std::strerror(errno);
    close(fd);
  }
  throw std::runtime_error("rank 0 cannot serve the store on MASTER_ADDR:MASTER_PORT = " + where + ": " +
                           last_error +
                           " (rank 0 must run on the machine MASTER_ADDR names, and the port must "
                           "be free)");
}

c10::intrusive_ptr<c10d::Store> make_store(const LaunchEnv& env, std::chrono::milliseconds timeout) {
  c10::intrusive_ptr<c10d::Store> store;
  if (!env.file_store.empty()) {
    store = c10::make_intrusive<c10d::FileStore>(env.file_store, static_cast<int>(env.world_size));
    store->setTimeout(timeout);
  } else {
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(env.master_port);
    o.timeout = timeout;
    o.numWorkers = static_cast<std::size_t>(env.world_size);
    o.waitWorkers = false;  // the consistency check that follows is the group's first barrier
    o.isServer = !env.use_agent_store && env.rank == 0;
    if (o.isServer) o.masterListenFd = listen_on(env.master_addr, env.master_port);
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  }
  return c10::make_intrusive<c10d::PrefixStore>("focal/attempt_" + std::to_string(env.restart_count), store);
}

}  // namespace focal::train
