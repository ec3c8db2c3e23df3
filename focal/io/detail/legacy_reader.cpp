#include "focal/io/detail/legacy_reader.h"

#include <cstring>
#include <unordered_map>

#include "focal/io/detail/byte_cursor.h"
#include "focal/io/detail/byte_order.h"
#include "focal/io/detail/format_error.h"
#include "focal/io/detail/pickle_machine.h"
#include "focal/io/detail/pickle_to_ivalue.h"
#include "focal/io/detail/storage_source.h"

namespace focal::io::detail {
namespace {

// torch.serialization.MAGIC_NUMBER (0x1950a86a20f9469cfc6c) as pickle's little-endian LONG1 bytes.
constexpr std::string_view kMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
constexpr int64_t kProtocolVersion = 1001;

// Storages are allocated when the pickle first names them and filled from the trailer afterwards. Together
// they cannot claim more bytes than the file holds.
class LegacyStorageSource : public StorageSource {
 public:
  explicit LegacyStorageSource(size_t file_size) : budget_(static_cast<int64_t>(file_size)) {}

  c10::Storage fetch(const StorageRequest& request) override {
    auto it = storages_.find(request.key);
    if (it == storages_.end()) {
      if (request.nbytes > budget_) {
        throw FormatError("storage '" + request.key + "' claims " + std::to_string(request.nbytes) +
                          " bytes, more than the file holds");
      }
      budget_ -= request.nbytes;
      it =
          storages_.emplace(request.key, Entry{allocate_storage(request.nbytes), request.dtype, false}).first;
    } else if (static_cast<int64_t>(it->second.storage.nbytes()) < request.nbytes) {
      throw FormatError("storage '" + request.key + "' is used with two different sizes");
    }
    return it->second.storage;
  }

  void fill(const std::string& key, ByteCursor& in, bool big_endian) {
    auto it = storages_.find(key);
    if (it == storages_.end()) throw FormatError("storage key '" + key + "' is listed but no tensor uses it");
    Entry& e = it->second;
    uint64_t count = in.u64le();
    if (big_endian) reverse_element_bytes(&count, sizeof count, c10::ScalarType::Long);
    const uint64_t elem = c10::elementSize(e.dtype);
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(count, elem, &nbytes) || nbytes != e.storage.nbytes()) {
      throw FormatError("storage '" + key + "' has " + std::to_string(count) +
                        " elements in the file, the pickle says " +
                        std::to_string(e.storage.nbytes() / elem));
    }
    if (nbytes > in.remaining()) {
      throw FormatError("storage '" + key + "' needs " + std::to_string(nbytes) + " bytes, the file has " +
                        std::to_string(in.remaining()) + " left (truncated?)");
    }
    std::string_view bytes = in.take(nbytes);
    if (nbytes > 0) std::memcpy(e.storage.mutable_data(), bytes.data(), nbytes);
    if (big_endian) reverse_element_bytes(e.storage.mutable_data(), nbytes, e.dtype);
    e.filled = true;
  }

  void check_filled() const {
    for (const auto& [key, e] : storages_) {
      if (!e.filled) throw FormatError("storage '" + key + "' has no data in the file");
    }
  }

 private:
  struct Entry {
    c10::Storage storage;
    c10::ScalarType dtype;
    bool filled;
  };
  int64_t budget_;
  std::unordered_map<std::string, Entry> storages_;
};

const Node& expect(const PickleArena& arena, NodeId id, Kind kind, const char* what) {
  const Node& n = arena.at(id);
  if (n.kind != kind) throw FormatError(std::string("legacy torch.save header: ") + what + " is malformed");
  return n;
}

bool little_endian(const PickleArena& arena, const Node& sys_info) {
  for (size_t i = 0; i + 1 < sys_info.items.size(); i += 2) {
    const Node& key = arena.at(sys_info.items[i]);
    const Node& value = arena.at(sys_info.items[i + 1]);
    if ((key.kind == Kind::String || key.kind == Kind::Bytes) && key.text == "little_endian" &&
        value.kind == Kind::Bool) {
      return value.integer != 0;
    }
  }
  return true;
}

}  // namespace

c10::IValue read_torch_legacy_or_pickle(std::string_view file, const ReadOptions& options) {
  PickleArena arena(options.max_objects());
  size_t pos = 0;
  const PersistentLoad no_persistent_ids;
  NodeId first = run_pickle(file, pos, "pickle 1 (magic number)", arena, no_persistent_ids, options);
  const Node& magic = arena.at(first);
  if (magic.kind != Kind::BigInt || magic.text != kMagic) {
    // A legacy file whose magic number is damaged still has data after its first pickle; a plain pickle ends.
    const bool number = magic.kind == Kind::BigInt || magic.kind == Kind::Int;
    if (number && pos < file.size()) throw FormatError("invalid torch.save magic number (corrupt file?)");
    return to_ivalue(arena, first, options.max_nesting());
  }

  NodeId version = run_pickle(file, pos, "pickle 2 (protocol version)", arena, no_persistent_ids, options);
  if (expect(arena, version, Kind::Int, "protocol version").integer != kProtocolVersion) {
    throw FormatError("unsupported legacy protocol version " + std::to_string(arena.at(version).integer));
  }
  NodeId sys_info = run_pickle(file, pos, "pickle 3 (system info)", arena, no_persistent_ids, options);
  const bool big_endian = !little_endian(arena, expect(arena, sys_info, Kind::Dict, "system info"));

  LegacyStorageSource source(file.size());
  NodeId root = run_pickle(
      file, pos, "pickle 4 (the saved object)", arena,
      [&](PickleArena& a, NodeId pid) {
        return load_persistent_storage(a, pid, source, options.max_storage_bytes());
      },
      options);
  NodeId keys = run_pickle(file, pos, "pickle 5 (storage keys)", arena, no_persistent_ids, options);
  ByteCursor in(file, pos);
  for (NodeId key : expect(arena, keys, Kind::List, "storage key list").items) {
    const Node& k = arena.at(key);
    if (k.kind != Kind::String && k.kind != Kind::Bytes)
      throw FormatError("storage key list holds a non-string");
    source.fill(k.text, in, big_endian);
  }
  source.check_filled();
  return to_ivalue(arena, root, options.max_nesting());
}

}  // namespace focal::io::detail
