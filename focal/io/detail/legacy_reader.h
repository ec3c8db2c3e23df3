#pragma once
// torch.save's legacy format (_use_new_zipfile_serialization=False) and plain pickle files.
// Legacy layout: pickles of the magic number, the protocol version, a sys-info dict, the object itself, the
// list of storage keys; then per key an int64 element count and the raw bytes.
#include <ATen/core/ivalue.h>

#include <string_view>

#include "focal/io/read_options.h"

namespace focal::io::detail {

// A file whose first pickle is not torch's magic number is read as a plain pickle (its first value).
c10::IValue read_torch_legacy_or_pickle(std::string_view file, const ReadOptions& options);

}  // namespace focal::io::detail
