#pragma once
// torch._utils._rebuild_tensor*: a tensor viewing a loaded storage, after checking that every element it
// can reach lies inside the storage (Tensor::set_ would otherwise grow the storage).
#include <optional>
#include <string>
#include <vector>

#include "focal/io/detail/pickle_arena.h"
#include "focal/io/read_options.h"

namespace focal::io::detail {

// args: (storage, storage_offset, size, stride, ...); `dtype` overrides the storage's element type (v3);
// `metadata` is the optional {'conj': bool, 'neg': bool} dict of _rebuild_tensor_v2/v3, or kNoNode.
NodeId rebuild_tensor(PickleArena& arena, const std::string& function, const std::vector<NodeId>& args,
                      std::optional<c10::ScalarType> dtype, NodeId metadata, const ReadOptions& options);

}  // namespace focal::io::detail
