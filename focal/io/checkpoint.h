#pragma once
// Reading torch.save files (.pth/.pt) without executing anything from them: both container formats (zip,
// and the legacy format of `_use_new_zipfile_serialization=False`), and plain pickle files.
//
// The result is a c10::IValue: dicts (string or int keys, in file order), lists, tuples, strings, ints,
// doubles, bools, None, and CPU tensors whose storages alias as they did when saved. Classes the reader does
// not know (e.g. a yacs CfgNode, argparse.Namespace) load as the dict of their contents or state, or as the
// string "<unsupported module.Class>". Bad input throws std::runtime_error naming the file and the problem.
#include <ATen/core/ivalue.h>

#include <string>
#include <string_view>

#include "focal/io/read_options.h"

namespace focal::io {

c10::IValue read_pickle_file(const std::string& path, const ReadOptions& options = {});

// The same for a file already in memory; errors name `source_name`.
c10::IValue read_pickle_bytes(std::string_view bytes, const std::string& source_name,
                              const ReadOptions& options = {});

}  // namespace focal::io
