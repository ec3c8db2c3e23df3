// Fuzz target: the checkpoint reader on arbitrary bytes (zip and legacy torch.save containers, plain pickles,
// the pickle machine), then the state-dict extraction a fine-tuning run applies to the result. Promise
// checked: the result is a value whose tensors lie inside their storages, or a std::runtime_error that names
// the file; never a crash, a sanitizer report or another exception type.
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "focal/io/checkpoint.h"
#include "focal/io/state_dict.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

// Reads the first and last byte each tensor views, in instrumented code, so that a tensor reaching past its
// storage is an ASan report here (LibTorch's kernels are not instrumented).
void touch(const at::Tensor& t) {
  if (!t.defined() || t.numel() == 0) return;
  const auto* base = static_cast<const volatile uint8_t*>(t.storage().data());
  const int64_t elem = static_cast<int64_t>(t.element_size());
  int64_t last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) last += (t.size(d) - 1) * t.stride(d);
  (void)base[t.storage_offset() * elem];
  (void)base[last * elem + elem - 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string source = "fuzz-input.pth";
  // Lower caps than the defaults keep every input fast; the limits themselves are tested in tests/io.
  const auto options = focal::io::ReadOptions().max_objects(int64_t{1} << 16).max_nesting(200);
  try {
    const c10::IValue root = focal::io::read_pickle_bytes(bytes, source, options);
    try {
      for (const auto& [name, tensor] : focal::io::extract_state_dict(root, source)) touch(tensor);
    } catch (const std::runtime_error& e) {
      focal::fuzz::expect_named(e, source);
    }
  } catch (const std::runtime_error& e) {
    focal::fuzz::expect_named(e, source);
  }
  return 0;
}
