#include "focal/io/detail/torch_zip_reader.h"

#include <cstring>
#include <unordered_map>

#include "focal/io/detail/byte_order.h"
#include "focal/io/detail/format_error.h"
#include "focal/io/detail/pickle_machine.h"
#include "focal/io/detail/pickle_to_ivalue.h"
#include "focal/io/detail/storage_source.h"
#include "focal/io/detail/zip_archive.h"

namespace focal::io::detail {
namespace {

constexpr std::string_view kPickleRecord = "data.pkl";

// Each key's record is copied once into a CPU storage that every tensor using the key shares.
class ZipStorageSource : public StorageSource {
 public:
  ZipStorageSource(const ZipArchive& zip, std::string prefix, bool big_endian)
      : zip_(zip), prefix_(std::move(prefix)), big_endian_(big_endian) {}

  c10::Storage fetch(const StorageRequest& request) override {
    auto it = loaded_.find(request.key);
    if (it == loaded_.end()) {
      const std::string name = prefix_ + "data/" + request.key;
      const ZipEntry* entry = zip_.find(name);
      if (entry == nullptr) throw FormatError("storage record '" + name + "' is missing");
      std::string_view bytes = zip_.contents(*entry);
      c10::Storage storage = allocate_storage(static_cast<int64_t>(bytes.size()));
      if (!bytes.empty()) std::memcpy(storage.mutable_data(), bytes.data(), bytes.size());
      if (big_endian_) reverse_element_bytes(storage.mutable_data(), bytes.size(), request.dtype);
      it = loaded_.emplace(request.key, std::move(storage)).first;
    }
    if (static_cast<int64_t>(it->second.nbytes()) < request.nbytes) {
      throw FormatError("storage record '" + prefix_ + "data/" + request.key + "' holds " +
                        std::to_string(it->second.nbytes()) + " bytes, the pickle needs " +
                        std::to_string(request.nbytes));
    }
    return it->second;
  }

 private:
  const ZipArchive& zip_;
  std::string prefix_;
  bool big_endian_;
  std::unordered_map<std::string, c10::Storage> loaded_;
};

// The data.pkl record at the top level or one folder down, and that folder ("name/" or "").
const ZipEntry& find_pickle(const ZipArchive& zip, std::string& prefix) {
  for (const ZipEntry& e : zip.entries()) {
    const std::string& n = e.name;
    if (n.size() < kPickleRecord.size() ||
        n.compare(n.size() - kPickleRecord.size(), kPickleRecord.size(), kPickleRecord) != 0) {
      continue;
    }
    std::string folder = n.substr(0, n.size() - kPickleRecord.size());
    if (folder.empty() || (folder.back() == '/' && folder.find('/') == folder.size() - 1)) {
      prefix = std::move(folder);
      return e;
    }
  }
  throw FormatError("zip archive has no data.pkl record (not a torch.save file)");
}

}  // namespace

c10::IValue read_torch_zip(std::string_view file, const ReadOptions& options) {
  ZipArchive zip(file);
  std::string prefix;
  const ZipEntry& pickle_entry = find_pickle(zip, prefix);
  bool big_endian = false;
  if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
    std::string_view value = zip.contents(*order);
    if (value == "big") {
      big_endian = true;
    } else if (value != "little") {
      throw FormatError("record '" + order->name + "' names an unknown byte order");
    }
  }
  ZipStorageSource source(zip, prefix, big_endian);
  PickleArena arena(options.max_objects());
  std::string_view pickle = zip.contents(pickle_entry);
  size_t pos = 0;
  NodeId root = run_pickle(
      pickle, pos, pickle_entry.name, arena,
      [&](PickleArena& a, NodeId pid) {
        return load_persistent_storage(a, pid, source, options.max_storage_bytes());
      },
      options);
  return to_ivalue(arena, root, options.max_nesting());
}

}  // namespace focal::io::detail
