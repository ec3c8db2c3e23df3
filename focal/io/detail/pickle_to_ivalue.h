#pragma once
// Converts the values a pickle program built into c10::IValue: dicts become GenericDict (string keys, or int
// keys when every key is an int; other keys are spelled as strings), lists/sets become GenericList, tuples
// Tuple. Placeholder objects become the dict they were filled with (SETITEMS or BUILD state), the list they
// were filled with (APPENDS), or the string "<unsupported module.Class>".
#include <ATen/core/ivalue.h>

#include "focal/io/detail/pickle_arena.h"

namespace focal::io::detail {

c10::IValue to_ivalue(const PickleArena& arena, NodeId root, int64_t max_nesting);

}  // namespace focal::io::detail
