#pragma once
// torch.save's persistent ids: ('storage', storage_type, key, location, numel[, view_metadata]).
// The pickle names a storage; the container (zip record or legacy trailer) supplies its bytes.
#include <c10/core/Storage.h>

#include <string>

#include "focal/io/detail/pickle_arena.h"

namespace focal::io::detail {

struct StorageRequest {
  std::string key;
  c10::ScalarType dtype = c10::ScalarType::Byte;
  int64_t nbytes = 0;
};

class StorageSource {
 public:
  virtual ~StorageSource() = default;
  // The storage saved under `request.key`, on CPU and at least `request.nbytes` long; the same storage for
  // every request of one key, so that tensors sharing it alias.
  virtual c10::Storage fetch(const StorageRequest& request) = 0;
};

// Decodes a persistent id and returns the node of the storage (slice) it stands for. Tensors always land
// on CPU, whatever location the id names. A storage of more than `max_bytes` is refused before the source
// is asked for it.
NodeId load_persistent_storage(PickleArena& arena, NodeId pid, StorageSource& source, int64_t max_bytes);

// A CPU storage of `nbytes` bytes (contents uninitialised).
c10::Storage allocate_storage(int64_t nbytes);

}  // namespace focal::io::detail
