#pragma once
// Writing checkpoints in torch.save's zip format, loadable by Python's torch.load(path, weights_only=True).
// Files are written to `path + ".tmp"` and renamed into place, so a crash never leaves a half-written file.
#include <ATen/core/ivalue.h>

#include <string>

#include "focal/io/state_dict.h"

namespace focal::io {

// Saves dicts (string/int keys), lists, tuples, strings, ints, doubles, bools, None, complex numbers, devices
// and dense tensors (any device; saved as CPU). Tensors that view one storage share it in the file, with
// their offsets and strides, as torch.save does. Throws std::runtime_error naming the path and the problem.
void save_pickle_file(const std::string& path, const c10::IValue& value);

// Saves {'model': {name: tensor, ...}} in state-dict order.
void save_state_dict(const std::string& path, const StateDict& state_dict);

}  // namespace focal::io
