#include "focal/io/detail/pickle_arena.h"

#include <algorithm>

#include "focal/io/detail/format_error.h"

namespace focal::io::detail {

PickleArena::PickleArena(int64_t max_nodes)
    : max_nodes_(std::min<int64_t>(max_nodes, static_cast<int64_t>(kNoNode) - 1)) {}

void PickleArena::charge(size_t slots) {
  used_ += static_cast<int64_t>(std::min<size_t>(slots, static_cast<size_t>(max_nodes_) + 1));
  if (used_ > max_nodes_) {
    throw FormatError("the pickle creates more than " + std::to_string(max_nodes_) +
                      " objects and container entries (ReadOptions::max_objects)");
  }
}

void PickleArena::extend_text_budget(size_t bytes) { text_budget_ += bytes; }

NodeId PickleArena::add(Node node) {
  charge(1 + node.items.size());
  if (node.text.size() > text_budget_) {
    throw FormatError("the pickle's strings exceed twice its own size (copied over and over?)");
  }
  text_budget_ -= node.text.size();
  nodes_.push_back(std::move(node));
  return static_cast<NodeId>(nodes_.size() - 1);
}

NodeId PickleArena::add_none() { return add(Node{}); }

NodeId PickleArena::add_bool(bool value) {
  Node n;
  n.kind = Kind::Bool;
  n.integer = value ? 1 : 0;
  return add(std::move(n));
}

NodeId PickleArena::add_int(int64_t value) {
  Node n;
  n.kind = Kind::Int;
  n.integer = value;
  return add(std::move(n));
}

NodeId PickleArena::add_double(double value) {
  Node n;
  n.kind = Kind::Double;
  n.real = value;
  return add(std::move(n));
}

NodeId PickleArena::add_text(Kind kind, std::string text) {
  Node n;
  n.kind = kind;
  n.text = std::move(text);
  return add(std::move(n));
}

NodeId PickleArena::add_items(Kind kind, std::vector<NodeId> items) {
  Node n;
  n.kind = kind;
  n.items = std::move(items);
  return add(std::move(n));
}

NodeId PickleArena::add_storage(StorageSlice slice) {
  Node n;
  n.kind = Kind::Storage;
  n.integer = static_cast<int64_t>(storages_.size());
  NodeId id = add(std::move(n));
  storages_.push_back(std::move(slice));
  return id;
}

NodeId PickleArena::add_tensor(at::Tensor tensor) {
  // A tensor object weighs as much as a handful of nodes.
  constexpr size_t kTensorSlots = 8;
  charge(kTensorSlots);
  Node n;
  n.kind = Kind::Tensor;
  n.integer = static_cast<int64_t>(tensors_.size());
  NodeId id = add(std::move(n));
  tensors_.push_back(std::move(tensor));
  return id;
}

Node& PickleArena::at(NodeId id) {
  if (id >= nodes_.size()) throw FormatError("internal: object reference out of range");
  return nodes_[id];
}

const Node& PickleArena::at(NodeId id) const {
  if (id >= nodes_.size()) throw FormatError("internal: object reference out of range");
  return nodes_[id];
}

const StorageSlice& PickleArena::storage(const Node& node) const {
  return storages_.at(static_cast<size_t>(node.integer));
}

const at::Tensor& PickleArena::tensor(const Node& node) const {
  return tensors_.at(static_cast<size_t>(node.integer));
}

}  // namespace focal::io::detail
