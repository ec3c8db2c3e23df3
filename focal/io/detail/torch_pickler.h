#pragma once
// Pickles a c10::IValue (protocol 2) exactly as torch.save lays out its data.pkl: tensors as
// torch._utils._rebuild_tensor_v2 (v3 for dtypes without a typed storage class) over persistent-id storages,
// each storage written once however many tensors view it. Everything it emits is on the allow-list of
// Python's torch.load(weights_only=True).
#include <ATen/core/ivalue.h>

#include <string>
#include <vector>

namespace focal::io::detail {

// A storage the pickle refers to by key; its bytes (CPU, contiguous uint8) go to <archive>/data/<key>.
struct SavedStorage {
  std::string key;
  at::Tensor bytes;
};

struct PickledValue {
  std::string pickle;
  std::vector<SavedStorage> storages;
};

// Throws std::runtime_error naming the path inside `value` (e.g. ['model']['w']) of anything it cannot save.
PickledValue pickle_for_torch_save(const c10::IValue& value);

}  // namespace focal::io::detail
