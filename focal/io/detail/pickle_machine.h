#pragma once
// A pickle virtual machine for the opcodes of protocols 0-5 (all that torch.save and Python's pickle emit),
// building values in a PickleArena. Every length, memo index and stack access is checked against the data.
#include <functional>
#include <string>
#include <string_view>

#include "focal/io/detail/pickle_arena.h"
#include "focal/io/read_options.h"

namespace focal::io::detail {

// Turns a persistent id (BINPERSID/PERSID) into the object it stands for.
using PersistentLoad = std::function<NodeId(PickleArena& arena, NodeId pid)>;

// Runs one pickle program that starts at `pos` in `bytes`; returns the value STOP finds on the stack and
// moves `pos` past the STOP. Errors are FormatError naming `name` and the byte offset of the bad opcode.
NodeId run_pickle(std::string_view bytes, size_t& pos, const std::string& name, PickleArena& arena,
                  const PersistentLoad& persistent_load, const ReadOptions& options);

}  // namespace focal::io::detail
