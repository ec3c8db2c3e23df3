#include "focal/io/detail/pickle_to_ivalue.h"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>
#include <vector>

#include "focal/io/detail/dtype_names.h"
#include "focal/io/detail/format_error.h"

namespace focal::io::detail {
namespace {

// An int wider than int64 (little-endian two's complement) as the nearest double.
double big_int_value(const std::string& bytes) {
  const bool negative = (static_cast<uint8_t>(bytes.back()) & 0x80) != 0;
  double v = 0;
  for (size_t i = bytes.size(); i-- > 0;) v = v * 256.0 + static_cast<uint8_t>(bytes[i]);
  return negative ? v - std::ldexp(1.0, static_cast<int>(std::min<size_t>(8 * bytes.size(), 4096))) : v;
}

class Converter {
 public:
  Converter(const PickleArena& arena, int64_t max_nesting)
      : arena_(arena), max_nesting_(max_nesting), done_(arena.size()), state_(arena.size(), 0) {}

  c10::IValue convert(NodeId id, int64_t depth) {
    if (depth > max_nesting_) {
      throw FormatError("values nest deeper than " + std::to_string(max_nesting_) +
                        " levels (ReadOptions::max_nesting)");
    }
    const Node& n = arena_.at(id);
    switch (n.kind) {
      case Kind::None:
        return c10::IValue();
      case Kind::Bool:
        return c10::IValue(n.integer != 0);
      case Kind::Int:
        return c10::IValue(n.integer);
      case Kind::BigInt:
        return c10::IValue(big_int_value(n.text));
      case Kind::Double:
        return c10::IValue(n.real);
      case Kind::Complex:
        return c10::IValue(c10::complex<double>(n.real, n.imag));
      case Kind::String:
      case Kind::Bytes:
        return text(id, n);
      case Kind::Global:
        return c10::IValue("<global " + n.text + ">");
      case Kind::Dtype:
        return c10::IValue("torch." + dtype_name(static_cast<c10::ScalarType>(n.integer)));
      case Kind::Tensor:
        return c10::IValue(arena_.tensor(n));
      case Kind::Storage: {
        // A storage saved on its own loads as a 1-D tensor over all of it.
        const StorageSlice& s = arena_.storage(n);
        const auto elem = static_cast<int64_t>(c10::elementSize(s.dtype));
        at::Tensor t = at::empty({0}, at::TensorOptions().dtype(s.dtype));
        t.set_(s.storage, s.byte_offset / elem, {s.nbytes / elem}, {1});
        return c10::IValue(t);
      }
      case Kind::List:
      case Kind::Tuple:
      case Kind::Dict:
      case Kind::Object:
        return container(id, n, depth);
    }
    throw FormatError("internal: unknown value kind");
  }

 private:
  // One IValue per string node: every reference shares it instead of copying the text.
  c10::IValue text(NodeId id, const Node& n) {
    if (state_[id] != 2) {
      done_[id] = c10::IValue(n.text);
      state_[id] = 2;
    }
    return done_[id];
  }

  // Containers are converted once and shared, as the pickle shares them; a container reached again while it
  // is being converted (a cycle, which IValue cannot hold) becomes a marker string.
  c10::IValue container(NodeId id, const Node& n, int64_t depth) {
    if (state_[id] == 2) return done_[id];
    if (state_[id] == 1) return c10::IValue("<recursive reference>");
    state_[id] = 1;
    c10::IValue result;
    switch (n.kind) {
      case Kind::List:
        result = list(n.items, depth);
        break;
      case Kind::Tuple: {
        std::vector<c10::IValue> items;
        items.reserve(n.items.size());
        for (NodeId item : n.items) items.push_back(convert(item, depth + 1));
        result = c10::ivalue::Tuple::create(std::move(items));
        break;
      }
      case Kind::Dict:
        result = dict(n.items, depth);
        break;
      default:
        result = object(n, depth);
        break;
    }
    state_[id] = 2;
    done_[id] = result;
    return result;
  }

  c10::IValue list(const std::vector<NodeId>& items, int64_t depth) {
    c10::impl::GenericList out(c10::AnyType::get());
    out.reserve(items.size());
    for (NodeId item : items) out.push_back(convert(item, depth + 1));
    return c10::IValue(std::move(out));
  }

  c10::IValue dict(const std::vector<NodeId>& items, int64_t depth) {
    std::vector<c10::IValue> keys;
    std::vector<c10::IValue> values;
    bool all_strings = true;
    bool all_ints = true;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      keys.push_back(convert(items[i], depth + 1));
      values.push_back(convert(items[i + 1], depth + 1));
      all_strings = all_strings && keys.back().isString();
      all_ints = all_ints && keys.back().isInt();
    }
    const bool int_keys = all_ints && !keys.empty();
    const c10::TypePtr key_type =
        int_keys ? c10::TypePtr(c10::IntType::get()) : c10::TypePtr(c10::StringType::get());
    c10::impl::GenericDict out(key_type, c10::AnyType::get());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (int_keys || all_strings) {
        out.insert_or_assign(keys[i], values[i]);
      } else {
        out.insert_or_assign(key_text(keys[i]), values[i]);
      }
    }
    return c10::IValue(std::move(out));
  }

  // Keys of mixed or unusual types are spelled as strings ("1", "(1, 2)", "None").
  static std::string key_text(const c10::IValue& key) {
    if (key.isString()) return key.toStringRef();
    std::ostringstream s;
    s << key;
    return s.str();
  }

  c10::IValue object(const Node& n, int64_t depth) {
    if (n.fill == ObjectFill::Dict) return dict(n.items, depth);
    if (n.fill == ObjectFill::List) return list(n.items, depth);
    if (n.state != kNoNode) {
      const Node& state = arena_.at(n.state);
      if (state.kind == Kind::Dict) return convert(n.state, depth + 1);
      // (instance __dict__, slot values): both dicts (or None); merged.
      if (state.kind == Kind::Tuple && state.items.size() == 2) {
        std::vector<NodeId> merged;
        for (NodeId part : state.items) {
          const Node& p = arena_.at(part);
          if (p.kind == Kind::Dict) merged.insert(merged.end(), p.items.begin(), p.items.end());
        }
        if (!merged.empty()) return dict(merged, depth);
      }
    }
    return c10::IValue("<unsupported " + n.text + ">");
  }

  const PickleArena& arena_;
  int64_t max_nesting_;
  std::vector<c10::IValue> done_;
  std::vector<uint8_t> state_;  // 0 not seen, 1 being converted, 2 done
};

}  // namespace

c10::IValue to_ivalue(const PickleArena& arena, NodeId root, int64_t max_nesting) {
  return Converter(arena, max_nesting).convert(root, 0);
}

}  // namespace focal::io::detail
