#include "focal/io/detail/storage_source.h"

#include <c10/core/CPUAllocator.h>

#include "focal/io/detail/dtype_names.h"
#include "focal/io/detail/format_error.h"

namespace focal::io::detail {
namespace {

const std::string& text_item(const PickleArena& arena, NodeId id, const char* what) {
  const Node& n = arena.at(id);
  if (n.kind != Kind::String && n.kind != Kind::Bytes) {
    throw FormatError(std::string("persistent id: ") + what + " is not a string");
  }
  return n.text;
}

int64_t int_item(const PickleArena& arena, NodeId id, const char* what) {
  const Node& n = arena.at(id);
  if (n.kind != Kind::Int || n.integer < 0) {
    throw FormatError(std::string("persistent id: ") + what + " is not a non-negative integer");
  }
  return n.integer;
}

c10::ScalarType storage_dtype(const PickleArena& arena, NodeId id) {
  const Node& n = arena.at(id);
  if (n.kind != Kind::Global || n.text.rfind("torch.", 0) != 0) {
    throw FormatError("persistent id: the storage type is not a torch storage class");
  }
  const std::string cls = n.text.substr(n.text.rfind('.') + 1);
  if (cls == "UntypedStorage") return c10::ScalarType::Byte;
  auto dtype = dtype_from_storage_class(cls);
  if (!dtype) throw FormatError("persistent id: unsupported storage type " + n.text);
  return *dtype;
}

}  // namespace

c10::Storage allocate_storage(int64_t nbytes) {
  return c10::Storage(c10::Storage::use_byte_size_t(), static_cast<size_t>(nbytes),
                      c10::GetDefaultCPUAllocator(),
                      /*resizable=*/true);
}

NodeId load_persistent_storage(PickleArena& arena, NodeId pid, StorageSource& source, int64_t max_bytes) {
  const Node& id = arena.at(pid);
  if (id.kind != Kind::Tuple || id.items.empty()) throw FormatError("persistent id is not a tuple");
  const std::vector<NodeId> items = id.items;
  const std::string kind = text_item(arena, items[0], "type tag");
  // Legacy files may name a module class (for source checks); it is only a class reference.
  if (kind == "module" && items.size() >= 2) return items[1];
  if (kind != "storage") throw FormatError("persistent id of unsupported type '" + kind + "'");
  if (items.size() < 5)
    throw FormatError("storage persistent id has " + std::to_string(items.size()) + " fields");

  StorageRequest request;
  request.dtype = storage_dtype(arena, items[1]);
  request.key = text_item(arena, items[2], "storage key");
  const int64_t numel = int_item(arena, items[4], "element count");
  const auto elem = static_cast<int64_t>(c10::elementSize(request.dtype));
  if (__builtin_mul_overflow(numel, elem, &request.nbytes)) {
    throw FormatError("storage '" + request.key + "' claims an impossible size");
  }
  if (request.nbytes > max_bytes) {
    throw FormatError("storage '" + request.key + "' claims " + std::to_string(request.nbytes) +
                      " bytes, more than the limit of " + std::to_string(max_bytes) +
                      " (ReadOptions::max_storage_bytes)");
  }
  StorageSlice slice;
  slice.storage = source.fetch(request);
  slice.dtype = request.dtype;
  slice.nbytes = request.nbytes;

  // Legacy view_metadata (view_key, offset, size): the id stands for a window of the storage.
  if (items.size() >= 6 && arena.at(items[5]).kind != Kind::None) {
    const Node& view = arena.at(items[5]);
    if (view.kind != Kind::Tuple || view.items.size() != 3)
      throw FormatError("storage view metadata is malformed");
    const int64_t view_offset = int_item(arena, view.items[1], "view offset");
    const int64_t view_numel = int_item(arena, view.items[2], "view size");
    int64_t begin = 0;
    int64_t length = 0;
    int64_t end = 0;
    if (__builtin_mul_overflow(view_offset, elem, &begin) ||
        __builtin_mul_overflow(view_numel, elem, &length) || __builtin_add_overflow(begin, length, &end) ||
        end > request.nbytes) {
      throw FormatError("storage view of '" + request.key + "' lies outside the storage");
    }
    slice.byte_offset = begin;
    slice.nbytes = length;
  }
  return arena.add_storage(std::move(slice));
}

}  // namespace focal::io::detail
