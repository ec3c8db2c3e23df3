#include "focal/io/detail/pickle_machine.h"

#include <c10/util/Exception.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <vector>

#include "focal/io/detail/byte_cursor.h"
#include "focal/io/detail/format_error.h"
#include "focal/io/detail/pickle_calls.h"

namespace focal::io::detail {
namespace {

// Opcodes, named as in Python's pickletools.
// clang-format off
enum class Op : uint8_t {
  Mark = '(', Stop = '.', Pop = '0', PopMark = '1', Dup = '2', Float = 'F', Int = 'I', BinInt = 'J',
  BinInt1 = 'K', Long = 'L', BinInt2 = 'M', None = 'N', PersId = 'P', BinPersId = 'Q', Reduce = 'R',
  String = 'S', BinString = 'T', ShortBinString = 'U', Unicode = 'V', BinUnicode = 'X', Append = 'a',
  Build = 'b', Global = 'c', Dict = 'd', EmptyDict = '}', Appends = 'e', Get = 'g', BinGet = 'h', Inst = 'i',
  LongBinGet = 'j', List = 'l', EmptyList = ']', Obj = 'o', Put = 'p', BinPut = 'q', LongBinPut = 'r',
  SetItem = 's', Tuple = 't', EmptyTuple = ')', SetItems = 'u', BinFloat = 'G', BinBytes = 'B',
  ShortBinBytes = 'C', Proto = 0x80, NewObj = 0x81, Ext1 = 0x82, Ext2 = 0x83, Ext4 = 0x84, Tuple1 = 0x85,
  Tuple2 = 0x86, Tuple3 = 0x87, NewTrue = 0x88, NewFalse = 0x89, Long1 = 0x8a, Long4 = 0x8b,
  ShortBinUnicode = 0x8c, BinUnicode8 = 0x8d, BinBytes8 = 0x8e, EmptySet = 0x8f, AddItems = 0x90,
  FrozenSet = 0x91, NewObjEx = 0x92, StackGlobal = 0x93, Memoize = 0x94, Frame = 0x95, ByteArray8 = 0x96,
  NextBuffer = 0x97, ReadonlyBuffer = 0x98,
};
// clang-format on

constexpr int kHighestProtocol = 5;

// Appends the UTF-8 encoding of a code point.
void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool parse_hex(std::string_view digits, uint32_t& value) {
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  return r.ec == std::errc() && r.ptr == digits.data() + digits.size();
}

// Protocol 0 UNICODE: raw-unicode-escape (\uXXXX, \UXXXXXXXX; every other byte is a latin-1 code point).
std::string decode_raw_unicode_escape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
      size_t n = s[i + 1] == 'u' ? 4 : 8;
      uint32_t cp = 0;
      if (i + 2 + n > s.size() || !parse_hex(s.substr(i + 2, n), cp) || cp > 0x10FFFF) {
        throw FormatError("UNICODE: bad escape sequence");
      }
      append_utf8(out, cp);
      i += 2 + n;
    } else {
      append_utf8(out, static_cast<unsigned char>(s[i]));
      i += 1;
    }
  }
  return out;
}

// Protocol 0 STRING: a quoted Python 2 string literal.
std::string decode_quoted(std::string_view s) {
  if (s.size() < 2 || (s.front() != '\'' && s.front() != '"') || s.back() != s.front()) {
    throw FormatError("STRING: argument is not a quoted string");
  }
  s = s.substr(1, s.size() - 2);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char e = s[++i];
    uint32_t v = 0;
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case '\\':
      case '\'':
      case '"':
        out.push_back(e);
        break;
      case 'x':
        if (i + 2 >= s.size() || !parse_hex(s.substr(i + 1, 2), v))
          throw FormatError("STRING: bad \\x escape");
        out.push_back(static_cast<char>(v));
        i += 2;
        break;
      default:
        out.push_back('\\');
        out.push_back(e);
        break;
    }
  }
  return out;
}

class PickleMachine {
 public:
  PickleMachine(std::string_view bytes, size_t pos, PickleArena& arena, const PersistentLoad& persistent_load,
                const ReadOptions& options)
      : in_(bytes, pos), arena_(arena), persistent_load_(persistent_load), options_(options) {}

  NodeId run(size_t& op_pos);
  size_t pos() const { return in_.pos(); }

 private:
  void push(NodeId id) {
    if (static_cast<int64_t>(stack_.size()) >= arena_.max_nodes())
      throw FormatError("stack grows without bound");
    stack_.push_back(id);
  }
  NodeId pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      throw FormatError("stack underflow");
    NodeId id = stack_.back();
    stack_.pop_back();
    return id;
  }
  NodeId top() const {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      throw FormatError("stack underflow");
    return stack_.back();
  }
  std::vector<NodeId> pop_mark() {
    if (marks_.empty()) throw FormatError("no MARK on the stack");
    std::vector<NodeId> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  void memo_put(uint64_t index) {
    if (static_cast<int64_t>(memo_.size()) >= arena_.max_nodes())
      throw FormatError("memo grows without bound");
    memo_[index] = top();
  }
  NodeId memo_get(uint64_t index) const {
    auto it = memo_.find(index);
    if (it == memo_.end()) throw FormatError("memo key " + std::to_string(index) + " is not defined");
    return it->second;
  }
  uint64_t decimal_line() {
    std::string_view s = in_.line();
    uint64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) throw FormatError("expected a decimal number");
    return v;
  }
  NodeId text_int(std::string_view s);
  NodeId binary_long(uint64_t n);
  void append_items(NodeId target, const std::vector<NodeId>& items);
  void set_items(NodeId target, const std::vector<NodeId>& items);
  NodeId load_persistent(NodeId pid) {
    if (!persistent_load_) throw FormatError("persistent id outside a torch.save container");
    return persistent_load_(arena_, pid);
  }

  ByteCursor in_;
  PickleArena& arena_;
  const PersistentLoad& persistent_load_;
  const ReadOptions& options_;
  std::vector<NodeId> stack_;
  std::vector<size_t> marks_;  // stack heights at each MARK
  std::unordered_map<uint64_t, NodeId> memo_;
};

// INT / LONG text: decimal; values beyond int64 become doubles, Python 2's "00"/"01" are booleans.
NodeId PickleMachine::text_int(std::string_view s) {
  if (s == "00" || s == "01") return arena_.add_bool(s == "01");
  if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return arena_.add_int(v);
  double d = 0;
  auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
  if (rd.ec != std::errc() || rd.ptr != s.data() + s.size() ||
      s.find_first_of(".eEnN") != std::string_view::npos) {
    throw FormatError("expected an integer");
  }
  return arena_.add_double(d);
}

// LONG1 / LONG4: little-endian two's complement of n bytes.
NodeId PickleMachine::binary_long(uint64_t n) {
  std::string_view b = in_.take(n);
  if (n == 0) return arena_.add_int(0);
  const bool negative = (static_cast<uint8_t>(b[n - 1]) & 0x80) != 0;
  // Bytes above the eighth that only repeat the sign still fit int64.
  const auto fill = static_cast<char>(negative ? 0xFF : 0x00);
  bool fits = true;
  for (size_t i = 8; i < n; ++i) fits = fits && b[i] == fill;
  if (n > 8) fits = fits && ((static_cast<uint8_t>(b[7]) & 0x80) != 0) == negative;
  if (!fits) return arena_.add_text(Kind::BigInt, std::string(b));
  uint64_t v = negative ? ~uint64_t{0} : 0;
  for (size_t i = 0; i < std::min<uint64_t>(n, 8); ++i) {
    v &= ~(uint64_t{0xFF} << (8 * i));
    v |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
  }
  return arena_.add_int(static_cast<int64_t>(v));
}

void PickleMachine::append_items(NodeId target, const std::vector<NodeId>& items) {
  Node& t = arena_.at(target);
  if (t.kind == Kind::Object) {
    if (t.fill == ObjectFill::Dict) throw FormatError("APPEND to an object that already holds dict items");
    t.fill = ObjectFill::List;
  } else if (t.kind != Kind::List) {
    throw FormatError("APPEND/ADDITEMS to a value that is not a list or set");
  }
  arena_.charge(items.size());
  t.items.insert(t.items.end(), items.begin(), items.end());
}

void PickleMachine::set_items(NodeId target, const std::vector<NodeId>& items) {
  if (items.size() % 2 != 0) throw FormatError("SETITEMS with an odd number of values");
  Node& t = arena_.at(target);
  if (t.kind == Kind::Object) {
    if (t.fill == ObjectFill::List) throw FormatError("SETITEM to an object that already holds list items");
    t.fill = ObjectFill::Dict;
  } else if (t.kind != Kind::Dict) {
    throw FormatError("SETITEM to a value that is not a dict");
  }
  arena_.charge(items.size());
  t.items.insert(t.items.end(), items.begin(), items.end());
}

NodeId PickleMachine::run(size_t& op_pos) {
  while (true) {
    op_pos = in_.pos();
    const auto op = static_cast<Op>(in_.u8());
    switch (op) {
      case Op::Proto: {
        const uint8_t version = in_.u8();
        if (version > kHighestProtocol)
          throw FormatError("unsupported pickle protocol " + std::to_string(version));
        break;
      }
      case Op::Frame: {
        const uint64_t length = in_.u64le();
        if (length > in_.remaining()) throw FormatError("FRAME is longer than the data");
        break;
      }
      case Op::Stop:
        return pop();
      case Op::Mark:
        if (static_cast<int64_t>(marks_.size()) >= arena_.max_nodes()) throw FormatError("too many MARKs");
        marks_.push_back(stack_.size());
        break;
      case Op::Pop:
        if (!marks_.empty() && stack_.size() == marks_.back()) {
          marks_.pop_back();  // Python pops a bare MARK too
        } else {
          pop();
        }
        break;
      case Op::PopMark:
        pop_mark();
        break;
      case Op::Dup:
        push(top());
        break;

      case Op::None:
        push(arena_.add_none());
        break;
      case Op::NewTrue:
        push(arena_.add_bool(true));
        break;
      case Op::NewFalse:
        push(arena_.add_bool(false));
        break;
      case Op::BinInt:
        push(arena_.add_int(static_cast<int32_t>(in_.u32le())));
        break;
      case Op::BinInt1:
        push(arena_.add_int(in_.u8()));
        break;
      case Op::BinInt2:
        push(arena_.add_int(in_.u16le()));
        break;
      case Op::Long1:
        push(binary_long(in_.u8()));
        break;
      case Op::Long4: {
        const auto n = static_cast<int32_t>(in_.u32le());
        if (n < 0) throw FormatError("LONG4 with negative length");
        push(binary_long(static_cast<uint64_t>(n)));
        break;
      }
      case Op::Int:
      case Op::Long:
        push(text_int(in_.line()));
        break;
      case Op::Float: {
        std::string_view s = in_.line();
        double d = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), d);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) throw FormatError("FLOAT: not a number");
        push(arena_.add_double(d));
        break;
      }
      case Op::BinFloat:
        push(arena_.add_double(in_.f64be()));
        break;

      case Op::ShortBinUnicode:
        push(arena_.add_text(Kind::String, std::string(in_.take(in_.u8()))));
        break;
      case Op::BinUnicode:
        push(arena_.add_text(Kind::String, std::string(in_.take(in_.u32le()))));
        break;
      case Op::BinUnicode8:
        push(arena_.add_text(Kind::String, std::string(in_.take(in_.u64le()))));
        break;
      case Op::Unicode:
        push(arena_.add_text(Kind::String, decode_raw_unicode_escape(in_.line())));
        break;
      // Python 2 str: kept as bytes (torch.load decodes them the same way for keys it needs).
      case Op::ShortBinString:
        push(arena_.add_text(Kind::Bytes, std::string(in_.take(in_.u8()))));
        break;
      case Op::BinString: {
        const auto n = static_cast<int32_t>(in_.u32le());
        if (n < 0) throw FormatError("BINSTRING with negative length");
        push(arena_.add_text(Kind::Bytes, std::string(in_.take(static_cast<uint64_t>(n)))));
        break;
      }
      case Op::String:
        push(arena_.add_text(Kind::Bytes, decode_quoted(in_.line())));
        break;
      case Op::ShortBinBytes:
        push(arena_.add_text(Kind::Bytes, std::string(in_.take(in_.u8()))));
        break;
      case Op::BinBytes:
        push(arena_.add_text(Kind::Bytes, std::string(in_.take(in_.u32le()))));
        break;
      case Op::BinBytes8:
      case Op::ByteArray8:
        push(arena_.add_text(Kind::Bytes, std::string(in_.take(in_.u64le()))));
        break;
      case Op::NextBuffer:
        throw FormatError("out-of-band buffers (NEXT_BUFFER) are not supported");
      case Op::ReadonlyBuffer:
        break;

      case Op::EmptyTuple:
        push(arena_.add_items(Kind::Tuple, {}));
        break;
      case Op::Tuple1: {
        NodeId a = pop();
        push(arena_.add_items(Kind::Tuple, {a}));
        break;
      }
      case Op::Tuple2: {
        NodeId b = pop();
        NodeId a = pop();
        push(arena_.add_items(Kind::Tuple, {a, b}));
        break;
      }
      case Op::Tuple3: {
        NodeId c = pop();
        NodeId b = pop();
        NodeId a = pop();
        push(arena_.add_items(Kind::Tuple, {a, b, c}));
        break;
      }
      case Op::Tuple:
        push(arena_.add_items(Kind::Tuple, pop_mark()));
        break;
      case Op::EmptyList:
        push(arena_.add_items(Kind::List, {}));
        break;
      case Op::List:
        push(arena_.add_items(Kind::List, pop_mark()));
        break;
      case Op::EmptyDict:
        push(arena_.add_items(Kind::Dict, {}));
        break;
      case Op::Dict: {
        std::vector<NodeId> items = pop_mark();
        if (items.size() % 2 != 0) throw FormatError("DICT with an odd number of values");
        push(arena_.add_items(Kind::Dict, std::move(items)));
        break;
      }
      case Op::EmptySet:
        push(arena_.add_items(Kind::List, {}));
        break;
      case Op::FrozenSet:
        push(arena_.add_items(Kind::List, pop_mark()));
        break;
      case Op::Append: {
        NodeId v = pop();
        append_items(top(), {v});
        break;
      }
      case Op::Appends:
      case Op::AddItems: {
        std::vector<NodeId> items = pop_mark();
        append_items(top(), items);
        break;
      }
      case Op::SetItem: {
        NodeId v = pop();
        NodeId k = pop();
        set_items(top(), {k, v});
        break;
      }
      case Op::SetItems: {
        std::vector<NodeId> items = pop_mark();
        set_items(top(), items);
        break;
      }

      case Op::Put:
        memo_put(decimal_line());
        break;
      case Op::BinPut:
        memo_put(in_.u8());
        break;
      case Op::LongBinPut:
        memo_put(in_.u32le());
        break;
      case Op::Memoize:
        memo_put(memo_.size());
        break;
      case Op::Get:
        push(memo_get(decimal_line()));
        break;
      case Op::BinGet:
        push(memo_get(in_.u8()));
        break;
      case Op::LongBinGet:
        push(memo_get(in_.u32le()));
        break;

      case Op::Global: {
        std::string module(in_.line());
        std::string name(in_.line());
        push(resolve_global(arena_, module, name));
        break;
      }
      case Op::StackGlobal: {
        NodeId name = pop();
        NodeId module = pop();
        const Node& m = arena_.at(module);
        const Node& n = arena_.at(name);
        if (m.kind != Kind::String || n.kind != Kind::String)
          throw FormatError("STACK_GLOBAL needs two strings");
        push(resolve_global(arena_, m.text, n.text));
        break;
      }
      case Op::Ext1:
      case Op::Ext2:
      case Op::Ext4: {
        const uint64_t code = op == Op::Ext1 ? in_.u8() : op == Op::Ext2 ? in_.u16le() : in_.u32le();
        push(arena_.add_text(Kind::Global, "<extension code " + std::to_string(code) + ">"));
        break;
      }
      case Op::Reduce: {
        NodeId args = pop();
        NodeId callable = pop();
        push(apply_callable(arena_, callable, args, options_));
        break;
      }
      case Op::NewObj: {
        NodeId args = pop();
        NodeId cls = pop();
        push(new_instance(arena_, cls, args));
        break;
      }
      case Op::NewObjEx: {
        pop();  // keyword arguments: no class the reader constructs takes any
        NodeId args = pop();
        NodeId cls = pop();
        push(new_instance(arena_, cls, args));
        break;
      }
      case Op::Inst: {
        std::string module(in_.line());
        std::string name(in_.line());
        std::vector<NodeId> args = pop_mark();
        NodeId cls = resolve_global(arena_, module, name);
        push(apply_callable(arena_, cls, arena_.add_items(Kind::Tuple, std::move(args)), options_));
        break;
      }
      case Op::Obj: {
        std::vector<NodeId> items = pop_mark();
        if (items.empty()) throw FormatError("OBJ without a class");
        NodeId cls = items.front();
        items.erase(items.begin());
        push(apply_callable(arena_, cls, arena_.add_items(Kind::Tuple, std::move(items)), options_));
        break;
      }
      case Op::Build: {
        NodeId state = pop();
        build_object(arena_, top(), state);
        break;
      }
      case Op::BinPersId: {
        NodeId pid = pop();
        push(load_persistent(pid));
        break;
      }
      case Op::PersId: {
        NodeId pid = arena_.add_text(Kind::String, std::string(in_.line()));
        push(load_persistent(pid));
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(op));
        throw FormatError(std::string("unknown opcode ") + hex);
      }
    }
  }
}

}  // namespace

NodeId run_pickle(std::string_view bytes, size_t& pos, const std::string& name, PickleArena& arena,
                  const PersistentLoad& persistent_load, const ReadOptions& options) {
  // Text read straight from the input counts once, derived copies may add as much again (plus small names).
  constexpr size_t kTextSlack = size_t{1} << 20;
  if (pos <= bytes.size()) arena.extend_text_budget(2 * (bytes.size() - pos) + kTextSlack);
  PickleMachine machine(bytes, pos, arena, persistent_load, options);
  size_t op_pos = pos;
  try {
    NodeId result = machine.run(op_pos);
    pos = machine.pos();
    return result;
  } catch (const FormatError& e) {
    throw FormatError(name + ", opcode at byte " + std::to_string(op_pos) + ": " + e.what());
  } catch (const c10::Error& e) {
    throw FormatError(name + ", opcode at byte " + std::to_string(op_pos) + ": " +
                      e.what_without_backtrace());
  }
}

}  // namespace focal::io::detail
