#include "focal/io/detail/pickle_calls.h"

#include <string>
#include <vector>

#include "focal/io/detail/dtype_names.h"
#include "focal/io/detail/format_error.h"
#include "focal/io/detail/tensor_rebuild.h"

namespace focal::io::detail {
namespace {

// _rebuild_from_type_v2 calls another rebuild function; a file cannot make that chain deeper than this.
constexpr int kMaxNestedCalls = 4;

NodeId placeholder(PickleArena& arena, std::string name) {
  return arena.add_text(Kind::Object, std::move(name));
}

std::vector<NodeId> arguments(const PickleArena& arena, NodeId args, const std::string& function) {
  const Node& a = arena.at(args);
  if (a.kind != Kind::Tuple && a.kind != Kind::List)
    throw FormatError(function + ": arguments are not a tuple");
  return a.items;
}

const Node& argument(const PickleArena& arena, const std::vector<NodeId>& args, size_t index,
                     const std::string& function) {
  if (index >= args.size()) {
    throw FormatError(function + " expects at least " + std::to_string(index + 1) + " arguments, got " +
                      std::to_string(args.size()));
  }
  return arena.at(args[index]);
}

bool is_dict_type(const std::string& name) {
  return name == "collections.OrderedDict" || name == "builtins.dict" || name == "collections.Counter" ||
         name == "collections.defaultdict";
}

bool is_list_type(const std::string& name) {
  return name == "builtins.list" || name == "builtins.set" || name == "builtins.frozenset";
}

// dict(mapping) / dict(iterable of pairs); a defaultdict's factory argument is ignored.
NodeId make_dict(PickleArena& arena, const std::vector<NodeId>& args) {
  std::vector<NodeId> items;
  if (!args.empty()) {
    const Node& source = arena.at(args[0]);
    if (source.kind == Kind::Dict) {
      items = source.items;
    } else if (source.kind == Kind::List || source.kind == Kind::Tuple) {
      for (NodeId pair_id : source.items) {
        const Node& pair = arena.at(pair_id);
        if ((pair.kind != Kind::Tuple && pair.kind != Kind::List) || pair.items.size() != 2) {
          throw FormatError("dict(): an element is not a key/value pair");
        }
        items.push_back(pair.items[0]);
        items.push_back(pair.items[1]);
      }
    }
  }
  return arena.add_items(Kind::Dict, std::move(items));
}

NodeId sequence_copy(PickleArena& arena, Kind kind, const std::vector<NodeId>& args,
                     const std::string& function) {
  if (args.empty()) return arena.add_items(kind, {});
  const Node& source = arena.at(args[0]);
  if (source.kind != Kind::List && source.kind != Kind::Tuple) {
    throw FormatError(function + ": argument is not a sequence");
  }
  return arena.add_items(kind, source.items);
}

// _codecs.encode(text, encoding): how protocol 2 spells bytes.
NodeId encode_bytes(PickleArena& arena, const std::vector<NodeId>& args) {
  const Node& text = argument(arena, args, 0, "_codecs.encode");
  if (text.kind != Kind::String) throw FormatError("_codecs.encode: first argument is not a string");
  std::string encoding = "utf-8";
  if (args.size() >= 2 && arena.at(args[1]).kind == Kind::String) encoding = arena.at(args[1]).text;
  if (encoding != "latin1" && encoding != "latin-1" && encoding != "iso-8859-1") {
    return arena.add_text(Kind::Bytes, text.text);  // utf-8: the bytes are the text itself
  }
  // Decode UTF-8 and keep one byte per code point (< 256 for latin-1).
  std::string out;
  const std::string& s = text.text;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      i += 1;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      out.push_back(static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F)));
      i += 2;
    } else {
      throw FormatError("_codecs.encode: text is not latin-1");
    }
  }
  return arena.add_text(Kind::Bytes, std::move(out));
}

NodeId make_complex(PickleArena& arena, const std::vector<NodeId>& args) {
  Node n;
  n.kind = Kind::Complex;
  auto number = [&](size_t i) {
    if (i >= args.size()) return 0.0;
    const Node& v = arena.at(args[i]);
    if (v.kind == Kind::Double) return v.real;
    if (v.kind == Kind::Int || v.kind == Kind::Bool) return static_cast<double>(v.integer);
    throw FormatError("complex(): argument is not a number");
  };
  n.real = number(0);
  n.imag = number(1);
  return arena.add(std::move(n));
}

// torch.device('cuda', 0) / torch.device('cuda:0') -> "cuda:0"
NodeId device_text(PickleArena& arena, const std::vector<NodeId>& args) {
  const Node& type = argument(arena, args, 0, "torch.device");
  if (type.kind != Kind::String) throw FormatError("torch.device: first argument is not a string");
  std::string text = type.text;
  if (args.size() >= 2 && arena.at(args[1]).kind == Kind::Int)
    text += ":" + std::to_string(arena.at(args[1]).integer);
  return arena.add_text(Kind::String, std::move(text));
}

NodeId tensor_argument(PickleArena& arena, const std::vector<NodeId>& args, const std::string& function) {
  if (argument(arena, args, 0, function).kind != Kind::Tensor) {
    throw FormatError(function + ": first argument is not a tensor");
  }
  return args[0];
}

std::optional<c10::ScalarType> dtype_argument(const PickleArena& arena, const std::vector<NodeId>& args,
                                              size_t index, const std::string& function) {
  const Node& d = argument(arena, args, index, function);
  if (d.kind != Kind::Dtype)
    throw FormatError(function + ": argument " + std::to_string(index + 1) + " is not a dtype");
  return static_cast<c10::ScalarType>(d.integer);
}

// Gives a new instance the contents of a dict or list (a copy, charged to the arena's budget).
void fill_from(PickleArena& arena, NodeId object, NodeId contents) {
  const Node& source = arena.at(contents);
  Node& target = arena.at(object);
  const bool dict = source.kind == Kind::Dict;
  if (!dict && source.kind != Kind::List) return;
  if (target.kind == Kind::Object) {
    target.fill = dict ? ObjectFill::Dict : ObjectFill::List;
  } else if (target.kind != source.kind) {
    return;
  }
  arena.charge(source.items.size());
  target.items = source.items;
}

NodeId apply(PickleArena& arena, NodeId callable, NodeId args_id, const ReadOptions& options, int depth) {
  const Node& fn = arena.at(callable);
  if (fn.kind != Kind::Global) return placeholder(arena, "<result of calling a non-class value>");
  const std::string name = fn.text;
  const std::vector<NodeId> args = arguments(arena, args_id, name);
  if (is_dict_type(name)) return make_dict(arena, args);
  if (is_list_type(name)) return sequence_copy(arena, Kind::List, args, name);
  if (name == "builtins.slice") return arena.add_items(Kind::List, args);  // (start, stop, step)
  if (name == "torch.Size" || name == "builtins.tuple") return sequence_copy(arena, Kind::Tuple, args, name);
  if (name == "torch._utils._rebuild_tensor")
    return rebuild_tensor(arena, name, args, std::nullopt, kNoNode, options);
  if (name == "torch._utils._rebuild_tensor_v2") {
    return rebuild_tensor(arena, name, args, std::nullopt, args.size() > 6 ? args[6] : kNoNode, options);
  }
  if (name == "torch._utils._rebuild_tensor_v3") {
    return rebuild_tensor(arena, name, args, dtype_argument(arena, args, 6, name),
                          args.size() > 7 ? args[7] : kNoNode, options);
  }
  if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state" ||
      name == "torch.nn.parameter.Parameter") {
    return tensor_argument(arena, args, name);
  }
  if (name == "torch._tensor._rebuild_from_type_v2") {
    if (depth >= kMaxNestedCalls) throw FormatError(name + " nests too deeply");
    argument(arena, args, 2, name);
    NodeId result = apply(arena, args[0], args[2], options, depth + 1);
    // A tensor subclass loads as a plain tensor; its Python attributes are dropped.
    return result;
  }
  if (name == "_codecs.encode") return encode_bytes(arena, args);
  if (name == "builtins.bytearray" || name == "builtins.bytes") {
    if (args.empty()) return arena.add_text(Kind::Bytes, "");
    const Node& src = arena.at(args[0]);
    if (src.kind == Kind::Bytes || src.kind == Kind::String) return arena.add_text(Kind::Bytes, src.text);
    return placeholder(arena, name);
  }
  if (name == "builtins.complex") return make_complex(arena, args);
  if (name == "torch.device") return device_text(arena, args);
  // copyreg.__newobj__(cls, *args) and copyreg._reconstructor(cls, base, base_value) create an instance of
  // cls; protocols 0 and 1 pass a dict or list subclass's contents as base_value.
  if (name == "copyreg._reconstructor" || name == "copyreg.__newobj__") {
    NodeId object = new_instance(arena, args.empty() ? callable : args[0], arena.add_items(Kind::Tuple, {}));
    if (name == "copyreg._reconstructor" && args.size() >= 3) fill_from(arena, object, args[2]);
    return object;
  }
  return placeholder(arena, name);
}

}  // namespace

NodeId resolve_global(PickleArena& arena, std::string_view module, std::string_view name) {
  std::string mod(module);
  if (mod == "__builtin__") mod = "builtins";
  if (mod == "copy_reg") mod = "copyreg";
  if (mod == "torch") {
    if (auto dtype = dtype_from_name(name)) {
      Node n;
      n.kind = Kind::Dtype;
      n.integer = static_cast<int64_t>(*dtype);
      return arena.add(std::move(n));
    }
  }
  return arena.add_text(Kind::Global, mod + "." + std::string(name));
}

NodeId apply_callable(PickleArena& arena, NodeId callable, NodeId args, const ReadOptions& options) {
  return apply(arena, callable, args, options, 0);
}

NodeId new_instance(PickleArena& arena, NodeId cls, NodeId args) {
  const Node& c = arena.at(cls);
  if (c.kind != Kind::Global) return placeholder(arena, "<instance of a non-class value>");
  const std::string name = c.text;
  if (is_dict_type(name)) return arena.add_items(Kind::Dict, {});
  if (is_list_type(name)) return arena.add_items(Kind::List, {});
  if (name == "torch.Size" || name == "builtins.tuple") {
    const Node& a = arena.at(args);
    std::vector<NodeId> items;
    if ((a.kind == Kind::Tuple || a.kind == Kind::List) && !a.items.empty()) {
      const Node& first = arena.at(a.items[0]);
      if (first.kind == Kind::Tuple || first.kind == Kind::List) items = first.items;
    }
    return arena.add_items(Kind::Tuple, std::move(items));
  }
  return placeholder(arena, name);
}

void build_object(PickleArena& arena, NodeId object, NodeId state) {
  Node& o = arena.at(object);
  if (o.kind == Kind::Object) o.state = state;
}

}  // namespace focal::io::detail
