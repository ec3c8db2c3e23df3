#pragma once
// torch.save's zip format (the default since torch 1.6): <folder>/data.pkl, storages in <folder>/data/<key>,
// an optional <folder>/byteorder. The folder's name varies with the file name the archive was saved as.
#include <ATen/core/ivalue.h>

#include <string_view>

#include "focal/io/read_options.h"

namespace focal::io::detail {

c10::IValue read_torch_zip(std::string_view file, const ReadOptions& options);

}  // namespace focal::io::detail
