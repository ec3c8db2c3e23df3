#pragma once
// What GLOBAL, REDUCE, NEWOBJ and BUILD do. Nothing from the file is ever executed: a short allow-list of
// globals (dict types, tensor/parameter rebuilds, torch.Size, sets, bytes, complex, torch.device) is
// reimplemented here, dtypes become values, and every other class or function yields a harmless placeholder
// Object that later SETITEMS/APPENDS/BUILD may fill.
#include <string_view>

#include "focal/io/detail/pickle_arena.h"
#include "focal/io/read_options.h"

namespace focal::io::detail {

// GLOBAL / STACK_GLOBAL (Python 2 module names are mapped to their Python 3 spelling).
NodeId resolve_global(PickleArena& arena, std::string_view module, std::string_view name);
// REDUCE, INST, OBJ: callable(*args).
NodeId apply_callable(PickleArena& arena, NodeId callable, NodeId args, const ReadOptions& options);
// NEWOBJ, NEWOBJ_EX: cls.__new__(cls, *args).
NodeId new_instance(PickleArena& arena, NodeId cls, NodeId args);
// BUILD: placeholder objects keep their state; real values ignore it (e.g. an OrderedDict's _metadata).
void build_object(PickleArena& arena, NodeId object, NodeId state);

}  // namespace focal::io::detail
