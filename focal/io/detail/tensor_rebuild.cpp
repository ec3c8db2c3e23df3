#include "focal/io/detail/tensor_rebuild.h"

#include <ATen/ATen.h>

#include <sstream>

#include "focal/io/detail/format_error.h"

namespace focal::io::detail {
namespace {

std::string shape_text(const std::vector<int64_t>& v) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  s << ']';
  return s.str();
}

int64_t int_arg(const PickleArena& arena, NodeId id, const std::string& function, const char* what) {
  const Node& n = arena.at(id);
  if (n.kind != Kind::Int) throw FormatError(function + ": " + what + " is not an integer");
  return n.integer;
}

std::vector<int64_t> int_tuple_arg(const PickleArena& arena, NodeId id, const std::string& function,
                                   const char* what, const ReadOptions& options) {
  const Node& n = arena.at(id);
  if (n.kind != Kind::Tuple && n.kind != Kind::List) {
    throw FormatError(function + ": " + what + " is not a tuple of integers");
  }
  if (static_cast<int64_t>(n.items.size()) > options.max_tensor_dims()) {
    throw FormatError(function + ": " + what + " has " + std::to_string(n.items.size()) +
                      " dimensions (ReadOptions::max_tensor_dims is " +
                      std::to_string(options.max_tensor_dims()) + ")");
  }
  std::vector<int64_t> out;
  out.reserve(n.items.size());
  for (NodeId item : n.items) out.push_back(int_arg(arena, item, function, what));
  return out;
}

bool metadata_flag(const PickleArena& arena, NodeId metadata, const char* key) {
  if (metadata == kNoNode) return false;
  const Node& m = arena.at(metadata);
  if (m.kind != Kind::Dict) return false;
  for (size_t i = 0; i + 1 < m.items.size(); i += 2) {
    const Node& k = arena.at(m.items[i]);
    const Node& v = arena.at(m.items[i + 1]);
    if (k.kind == Kind::String && k.text == key && v.kind == Kind::Bool) return v.integer != 0;
  }
  return false;
}

}  // namespace

NodeId rebuild_tensor(PickleArena& arena, const std::string& function, const std::vector<NodeId>& args,
                      std::optional<c10::ScalarType> dtype, NodeId metadata, const ReadOptions& options) {
  if (args.size() < 4) {
    throw FormatError(function + " expects at least 4 arguments, got " + std::to_string(args.size()));
  }
  const Node& storage_node = arena.at(args[0]);
  if (storage_node.kind != Kind::Storage) throw FormatError(function + ": first argument is not a storage");
  const StorageSlice slice = arena.storage(storage_node);
  const int64_t offset = int_arg(arena, args[1], function, "storage offset");
  const std::vector<int64_t> sizes = int_tuple_arg(arena, args[2], function, "size", options);
  const std::vector<int64_t> strides = int_tuple_arg(arena, args[3], function, "stride", options);
  const c10::ScalarType type = dtype.value_or(slice.dtype);

  const auto elem = static_cast<int64_t>(c10::elementSize(type));
  if (sizes.size() != strides.size()) {
    throw FormatError(function + ": size " + shape_text(sizes) + " and stride " + shape_text(strides) +
                      " differ in length");
  }
  if (slice.byte_offset % elem != 0 || offset < 0) {
    throw FormatError(function + ": storage offset " + std::to_string(offset) + " is invalid");
  }
  const int64_t capacity = slice.nbytes / elem;  // elements of `type` the storage holds
  int64_t numel = 1;
  int64_t last = offset;
  bool overflow = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] < 0 || strides[d] < 0) {
      throw FormatError(function + ": negative size or stride (size " + shape_text(sizes) + ", stride " +
                        shape_text(strides) + ")");
    }
    overflow |= __builtin_mul_overflow(numel, sizes[d], &numel);
    int64_t reach = 0;
    if (sizes[d] > 0) {
      overflow |= __builtin_mul_overflow(sizes[d] - 1, strides[d], &reach);
      overflow |= __builtin_add_overflow(last, reach, &last);
    }
  }
  if (overflow) throw FormatError(function + ": size " + shape_text(sizes) + " overflows");
  const bool inside = numel == 0 ? offset <= capacity : last < capacity;
  if (!inside) {
    throw FormatError(function + ": a tensor of size " + shape_text(sizes) + ", stride " +
                      shape_text(strides) + " and offset " + std::to_string(offset) + " reaches element " +
                      std::to_string(last) + " of a storage with " + std::to_string(capacity) + " elements");
  }
  at::Tensor tensor = at::empty({0}, at::TensorOptions().dtype(type));
  tensor.set_(slice.storage, slice.byte_offset / elem + offset, sizes, strides);
  // The saved bytes are the physical values; the flags say how to read them (as torch.load sets them: a view,
  // never a copy, so that a file cannot multiply its storages by rebuilding them many times).
  if (metadata_flag(arena, metadata, "conj") && c10::isComplexType(type)) tensor._set_conj(true);
  if (metadata_flag(arena, metadata, "neg")) tensor._set_neg(true);
  return arena.add_tensor(std::move(tensor));
}

}  // namespace focal::io::detail
