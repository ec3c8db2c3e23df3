#include "focal/io/detail/torch_pickler.h"

#include <ATen/ATen.h>

#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "focal/io/detail/dtype_names.h"

namespace focal::io::detail {
namespace {

// Protocol 2 opcodes used here (Python's pickletools names).
constexpr char kProto = '\x80';
constexpr char kStop = '.';
constexpr char kMark = '(';
constexpr char kNone = 'N';
constexpr char kNewTrue = '\x88';
constexpr char kNewFalse = '\x89';
constexpr char kBinInt = 'J';
constexpr char kBinInt1 = 'K';
constexpr char kBinInt2 = 'M';
constexpr char kLong1 = '\x8a';
constexpr char kBinFloat = 'G';
constexpr char kBinUnicode = 'X';
constexpr char kEmptyTuple = ')';
constexpr char kTuple = 't';
constexpr char kEmptyList = ']';
constexpr char kAppends = 'e';
constexpr char kEmptyDict = '}';
constexpr char kSetItems = 'u';
constexpr char kGlobal = 'c';
constexpr char kReduce = 'R';
constexpr char kBinPersId = 'Q';
constexpr int kProtocol = 2;
// Python batches APPENDS/SETITEMS in groups of this size; the loader accepts any, this keeps the stack small.
constexpr size_t kBatch = 1000;
constexpr int kMaxDepth = 1000;

// Python decodes BINUNICODE strictly: no overlong forms, surrogates or code points beyond U+10FFFF.
bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    unsigned char low = 0x80;  // allowed range of the second byte
    unsigned char high = 0xBF;
    if (c < 0x80) {
      extra = 0;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (extra >= s.size() - i) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < low || b > high) : (b & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

class TorchPickler {
 public:
  PickledValue dump(const c10::IValue& value) {
    out_.push_back(kProto);
    out_.push_back(static_cast<char>(kProtocol));
    write(value, 0);
    out_.push_back(kStop);
    return PickledValue{std::move(out_), std::move(storages_)};
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::string path = "<root>";
    for (const auto& p : path_) path += p;
    throw std::runtime_error("cannot save " + path + ": " + what);
  }

  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }

  void integer(int64_t v) {
    if (v >= 0 && v <= 0xFF) {
      out_.push_back(kBinInt1);
      out_.push_back(static_cast<char>(v));
    } else if (v >= 0 && v <= 0xFFFF) {
      out_.push_back(kBinInt2);
      out_.push_back(static_cast<char>(v & 0xFF));
      out_.push_back(static_cast<char>((v >> 8) & 0xFF));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_.push_back(kBinInt);
      u32(static_cast<uint32_t>(static_cast<int32_t>(v)));
    } else {
      out_.push_back(kLong1);
      out_.push_back(8);
      const auto u = static_cast<uint64_t>(v);
      for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((u >> (8 * i)) & 0xFF));
    }
  }

  void real(double v) {
    out_.push_back(kBinFloat);
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  }

  void text(const std::string& s) {
    if (!valid_utf8(s)) fail("string is not valid UTF-8");
    if (s.size() > UINT32_MAX) fail("string longer than 4 GiB");
    out_.push_back(kBinUnicode);
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }

  void global(const char* module, const std::string& name) {
    out_.push_back(kGlobal);
    out_ += module;
    out_.push_back('\n');
    out_ += name;
    out_.push_back('\n');
  }

  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    out_.push_back(kEmptyTuple);
    out_.push_back(kReduce);
  }

  void int_tuple(at::IntArrayRef values) {
    out_.push_back(kMark);
    for (int64_t v : values) integer(v);
    out_.push_back(kTuple);
  }

  // The index of the tensor's storage, registering it (and copying its bytes to CPU) on first use.
  size_t storage_index(const at::Tensor& t) {
    const c10::Storage& storage = t.storage();
    auto it = keys_.find(storage.unsafeGetStorageImpl());
    if (it != keys_.end()) {
      if (dtypes_[it->second] != t.scalar_type()) {
        fail("tensors of different dtypes share one storage; torch.save cannot represent that");
      }
      return it->second;
    }
    const auto nbytes = static_cast<int64_t>(storage.nbytes());
    if (nbytes > 0 && storage.data() == nullptr)
      fail("tensor on device '" + t.device().str() + "' has no data");
    at::Tensor bytes = at::empty({0}, at::TensorOptions().dtype(at::kByte).device(storage.device()));
    bytes.set_(storage, 0, {nbytes}, {1});
    bytes = bytes.cpu().contiguous();
    const size_t index = storages_.size();
    keys_.emplace(storage.unsafeGetStorageImpl(), index);
    dtypes_.push_back(t.scalar_type());
    storages_.push_back(SavedStorage{std::to_string(index), bytes});
    return index;
  }

  void tensor(at::Tensor t) {
    if (!t.defined()) {
      out_.push_back(kNone);
      return;
    }
    if (t.layout() != at::kStrided || t.is_quantized() || !t.has_storage()) {
      fail("only dense (strided) tensors can be saved");
    }
    if (t.is_conj() || t.is_neg()) t = t.resolve_conj().resolve_neg();
    const c10::ScalarType type = t.scalar_type();
    const auto elem = static_cast<int64_t>(c10::elementSize(type));
    const SavedStorage& storage = storages_[storage_index(t)];
    const std::string key = storage.key;
    const int64_t storage_bytes = storage.bytes.numel();
    const auto storage_class = storage_class_name(type);
    if (storage_bytes % elem != 0) fail("storage size is not a multiple of the element size");

    global("torch._utils", storage_class ? "_rebuild_tensor_v2" : "_rebuild_tensor_v3");
    out_.push_back(kMark);
    // Persistent id ('storage', storage_type, key, location, numel): the saved bytes live on CPU.
    out_.push_back(kMark);
    text("storage");
    if (storage_class) {
      global("torch", *storage_class);
    } else {
      global("torch.storage", "UntypedStorage");
    }
    text(key);
    text("cpu");
    integer(storage_class ? storage_bytes / elem : storage_bytes);
    out_.push_back(kTuple);
    out_.push_back(kBinPersId);
    integer(t.storage_offset());
    int_tuple(t.sizes());
    int_tuple(t.strides());
    out_.push_back(kNewFalse);  // requires_grad: checkpoints hold data, not graph leaves
    empty_ordered_dict();       // backward hooks
    if (!storage_class) global("torch", dtype_name(type));
    out_.push_back(kTuple);
    out_.push_back(kReduce);
  }

  void write(const c10::IValue& v, int depth) {
    if (depth > kMaxDepth) fail("values nest deeper than " + std::to_string(kMaxDepth) + " levels");
    if (v.isNone()) {
      out_.push_back(kNone);
    } else if (v.isBool()) {
      out_.push_back(v.toBool() ? kNewTrue : kNewFalse);
    } else if (v.isInt()) {
      integer(v.toInt());
    } else if (v.isDouble()) {
      real(v.toDouble());
    } else if (v.isString()) {
      text(v.toStringRef());
    } else if (v.isTensor()) {
      tensor(v.toTensor());
    } else if (v.isComplexDouble()) {
      const auto c = v.toComplexDouble();
      global("builtins", "complex");
      out_.push_back(kMark);
      real(c.real());
      real(c.imag());
      out_.push_back(kTuple);
      out_.push_back(kReduce);
    } else if (v.isDevice()) {
      global("torch", "device");
      out_.push_back(kMark);
      text(v.toDevice().str());
      out_.push_back(kTuple);
      out_.push_back(kReduce);
    } else if (v.isTuple()) {
      const auto& elements = v.toTupleRef().elements();
      if (elements.empty()) {
        out_.push_back(kEmptyTuple);
        return;
      }
      out_.push_back(kMark);
      for (size_t i = 0; i < elements.size(); ++i) element("[" + std::to_string(i) + "]", elements[i], depth);
      out_.push_back(kTuple);
    } else if (v.isList()) {
      out_.push_back(kEmptyList);
      const auto list = v.toListRef();
      for (size_t start = 0; start < list.size(); start += kBatch) {
        out_.push_back(kMark);
        for (size_t i = start; i < std::min(list.size(), start + kBatch); ++i) {
          element("[" + std::to_string(i) + "]", list[i], depth);
        }
        out_.push_back(kAppends);
      }
    } else if (v.isGenericDict()) {
      out_.push_back(kEmptyDict);
      const auto dict = v.toGenericDict();
      size_t n = 0;
      for (const auto& entry : dict) {
        if (n % kBatch == 0) out_.push_back(kMark);
        const std::string where = entry.key().isString() ? "['" + entry.key().toStringRef() + "']" : "[key]";
        element(where + " (key)", entry.key(), depth);
        element(where, entry.value(), depth);
        if (++n % kBatch == 0 || n == dict.size()) out_.push_back(kSetItems);
      }
    } else {
      fail("values of type " + v.tagKind() + " cannot be saved");
    }
  }

  void element(std::string where, const c10::IValue& v, int depth) {
    path_.push_back(std::move(where));
    write(v, depth + 1);
    path_.pop_back();
  }

  std::string out_;
  std::vector<SavedStorage> storages_;
  std::vector<c10::ScalarType> dtypes_;
  std::unordered_map<const c10::StorageImpl*, size_t> keys_;
  std::vector<std::string> path_;
};

}  // namespace

PickledValue pickle_for_torch_save(const c10::IValue& value) { return TorchPickler().dump(value); }

}  // namespace focal::io::detail
