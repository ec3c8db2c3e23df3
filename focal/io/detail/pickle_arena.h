#pragma once
// The values an unpickler builds, held in one arena and referenced by index. Containers are filled in place
// after they are memoized (as Python's pickle does), destruction is flat however deep a hostile file nests,
// and the final conversion to c10::IValue happens once, when the whole program has run.
#include <ATen/core/Tensor.h>
#include <c10/core/Storage.h>

#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

namespace focal::io::detail {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();

enum class Kind : uint8_t {
  None,
  Bool,
  Int,
  BigInt,  // an int beyond int64: text holds its little-endian two's complement bytes
  Double,
  Complex,
  String,  // UTF-8 text
  Bytes,   // raw bytes (bytes, bytearray, Python 2 str)
  List,    // also sets and frozensets
  Tuple,
  Dict,     // items: key, value, key, value, ...
  Global,   // a class or function named by GLOBAL: text = "module.name"
  Dtype,    // torch.float32 and friends: integer = c10::ScalarType
  Object,   // an instance of a class the reader does not construct: text = "module.name"
  Storage,  // integer = index into the arena's storages
  Tensor,   // integer = index into the arena's tensors
};

// How an Object was filled after creation: a dict subclass receives SETITEMS, a list subclass APPENDS.
enum class ObjectFill : uint8_t { Empty, Dict, List };

struct Node {
  Kind kind = Kind::None;
  ObjectFill fill = ObjectFill::Empty;
  int64_t integer = 0;
  double real = 0.0;
  double imag = 0.0;
  std::string text;
  std::vector<NodeId> items;
  NodeId state = kNoNode;  // Object: the state BUILD gave it
};

// A byte range of a storage; the legacy format can hand out windows (views) of one storage.
struct StorageSlice {
  c10::Storage storage;
  c10::ScalarType dtype = c10::ScalarType::Byte;
  int64_t byte_offset = 0;
  int64_t nbytes = 0;
};

class PickleArena {
 public:
  explicit PickleArena(int64_t max_nodes);

  NodeId add(Node node);
  NodeId add_none();
  NodeId add_bool(bool value);
  NodeId add_int(int64_t value);
  NodeId add_double(double value);
  NodeId add_text(Kind kind, std::string text);
  NodeId add_items(Kind kind, std::vector<NodeId> items);
  NodeId add_storage(StorageSlice slice);
  NodeId add_tensor(at::Tensor tensor);

  // Every node and every container slot counts against max_nodes, so that copying a large container over and
  // over (a few bytes of pickle each time) cannot exhaust memory.
  void charge(size_t slots);
  // Text held by nodes is limited too: strings copied from other nodes (a class name, bytes decoded from a
  // string) could otherwise multiply a large string many times. Each pickle run adds a share proportional to
  // its input.
  void extend_text_budget(size_t bytes);

  Node& at(NodeId id);
  const Node& at(NodeId id) const;
  size_t size() const { return nodes_.size(); }
  const StorageSlice& storage(const Node& node) const;
  const at::Tensor& tensor(const Node& node) const;
  int64_t max_nodes() const { return max_nodes_; }

 private:
  std::deque<Node> nodes_;  // a deque keeps references to nodes valid while more are added
  std::vector<StorageSlice> storages_;
  std::vector<at::Tensor> tensors_;
  int64_t max_nodes_;
  int64_t used_ = 0;
  size_t text_budget_ = 0;
};

}  // namespace focal::io::detail
