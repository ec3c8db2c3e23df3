#include "tests/io/io_test_support.h"

#include <torch/torch.h>
// After LibTorch, whose logging header defines a CHECK macro of its own: Catch's must win.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <unistd.h>

#include "tests/support/test_env.h"

namespace focal::test {
namespace {

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string double_text(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return hex64(bits);
}

std::string bytes_hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string python_dtype(c10::ScalarType t) {
  static const std::map<c10::ScalarType, std::string> names{{c10::kFloat, "float32"},
                                                            {c10::kDouble, "float64"},
                                                            {c10::kHalf, "float16"},
                                                            {c10::kBFloat16, "bfloat16"},
                                                            {c10::kLong, "int64"},
                                                            {c10::kInt, "int32"},
                                                            {c10::kShort, "int16"},
                                                            {c10::kChar, "int8"},
                                                            {c10::kByte, "uint8"},
                                                            {c10::kBool, "bool"},
                                                            {c10::kComplexFloat, "complex64"},
                                                            {c10::kComplexDouble, "complex128"},
                                                            {c10::kUInt16, "uint16"}};
  auto it = names.find(t);
  return it == names.end() ? "?" : it->second;
}

std::vector<int64_t> parse_ints(const std::string& s) {
  std::vector<int64_t> out;
  if (s == "-") return out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) out.push_back(std::stoll(part));
  return out;
}

}  // namespace

uint64_t checksum(const at::Tensor& tensor) {
  at::Tensor t = tensor.resolve_conj().resolve_neg().contiguous().cpu();
  const auto* p = static_cast<const uint8_t*>(t.data_ptr());
  const size_t n = static_cast<size_t>(t.numel()) * t.element_size();
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<uint64_t>(p[i]) * (i + 1);
  return sum;
}

std::string canonical(const c10::IValue& v) {
  if (v.isNone()) return "N";
  if (v.isBool()) return v.toBool() ? "T" : "F";
  if (v.isInt()) return "i" + std::to_string(v.toInt());
  if (v.isDouble()) return "f" + double_text(v.toDouble());
  if (v.isComplexDouble()) {
    auto c = v.toComplexDouble();
    return "c" + double_text(c.real()) + "," + double_text(c.imag());
  }
  if (v.isString()) {
    const std::string& s = v.toStringRef();
    if (s.rfind("<unsupported ", 0) == 0) return "U";
    return "s" + bytes_hex(s);
  }
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    std::string shape;
    for (int64_t d : t.sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    return "t" + python_dtype(t.scalar_type()) + ":[" + shape + "]:" + hex64(checksum(t));
  }
  std::string out;
  auto join = [&](const char* open, const auto& items, const char* close) {
    out = open;
    bool first = true;
    for (const auto& item : items) {
      if (!first) out += ",";
      first = false;
      out += canonical(item);
    }
    out += close;
    return out;
  };
  if (v.isTuple()) return join("(", v.toTupleRef().elements(), ")");
  if (v.isList()) return join("[", v.toListRef(), "]");
  if (v.isGenericDict()) {
    out = "{";
    bool first = true;
    for (const auto& e : v.toGenericDict()) {
      if (!first) out += ",";
      first = false;
      out += canonical(e.key()) + ":" + canonical(e.value());
    }
    return out + "}";
  }
  return "?" + v.tagKind();
}

std::vector<ManifestRow> read_manifest(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<ManifestRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string part;
    while (std::getline(ss, part, '\t')) f.push_back(part);
    REQUIRE(f.size() == 7);
    rows.push_back(ManifestRow{f[0], f[1], parse_ints(f[2]), parse_ints(f[3]), std::stoll(f[4]),
                               std::stoi(f[5]), std::stoull(f[6], nullptr, 16)});
  }
  return rows;
}

c10::IValue value_at(const c10::IValue& root, const std::string& path) {
  c10::IValue v = root;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (v.isGenericDict()) {
      auto d = v.toGenericDict();
      auto it = d.keyType()->kind() == c10::TypeKind::IntType
                    ? d.find(c10::IValue(static_cast<int64_t>(std::stoll(part))))
                    : d.find(part);
      if (it == d.end()) throw std::runtime_error("no key '" + part + "' on path " + path);
      v = it->value();
    } else if (v.isList()) {
      v = v.toListRef().at(std::stoul(part));
    } else if (v.isTuple()) {
      v = v.toTupleRef().elements().at(std::stoul(part));
    } else {
      throw std::runtime_error("cannot descend into '" + part + "' on path " + path);
    }
  }
  return v;
}

void check_manifest(const c10::IValue& root, const std::filesystem::path& manifest) {
  std::map<int, const void*> group_storage;
  const auto rows = read_manifest(manifest);
  REQUIRE(!rows.empty());
  for (const auto& row : rows) {
    INFO("tensor " << row.path << " of " << manifest);
    c10::IValue v = value_at(root, row.path);
    REQUIRE(v.isTensor());
    const at::Tensor& t = v.toTensor();
    CHECK(t.device().is_cpu());
    CHECK(python_dtype(t.scalar_type()) == row.dtype);
    CHECK(t.sizes().vec() == row.shape);
    CHECK(t.strides().vec() == row.stride);
    CHECK(t.storage_offset() == row.offset);
    CHECK(checksum(t) == row.checksum);
    const void* storage = t.storage().unsafeGetStorageImpl();
    auto [it, inserted] = group_storage.emplace(row.group, storage);
    CHECK(it->second == storage);  // same group, same storage
    if (inserted) {
      for (const auto& [group, other] : group_storage) {
        if (group != row.group) CHECK(other != storage);  // different groups, different storages
      }
    }
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::optional<std::string> python() {
  // Checking that Python imports torch costs seconds; once per process is enough.
  static const std::optional<std::string> found = reference_python("torch, numpy");
  return found;
}

int run_python_script(const std::string& script, const std::string& arguments) {
  auto py = python();
  if (!py) return -1;
  const auto path = std::filesystem::path(FOCAL_SOURCE_DIR) / "tests" / "io" / "python" / script;
  return run_command("\"" + *py + "\" \"" + path.string() + "\" " + arguments);
}

namespace {

// Identifies one version of the reference data: the generator scripts and the fixture files it describes.
std::string reference_key() {
  std::string material;
  const auto scripts = std::filesystem::path(FOCAL_SOURCE_DIR) / "tests" / "io" / "python";
  for (const char* name : {"make_reference.py", "canonical.py"}) material += read_file(scripts / name);
  if (have_fixtures()) {
    for (const auto& e : std::filesystem::directory_iterator(fixtures_dir())) {
      material += e.path().filename().string() + std::to_string(e.file_size());
    }
  }
  return hex64(std::hash<std::string>{}(material));
}

}  // namespace

std::optional<std::filesystem::path> reference_data() {
  // CTest runs every test case in its own process: the data is generated once into the build tree and reused
  // until the scripts or fixtures change. A generator writes to a private folder and renames it into place.
  static const std::optional<std::filesystem::path> dir = []() -> std::optional<std::filesystem::path> {
    const auto target = std::filesystem::path(FOCAL_BINARY_DIR) / "io_reference" / reference_key();
    // Data cached by an earlier run is used only while its interpreter is still there: a run with the Python
    // reference removed skips instead of passing on stale files.
    if (!std::filesystem::exists(python_path())) return std::nullopt;
    if (std::filesystem::exists(target / "done")) return target;
    if (!python()) return std::nullopt;
    // A fresh private folder from mkdtemp: nothing to clear first (std::filesystem::remove_all may bind to
    // LibTorch's own copy, which can crash).
    std::filesystem::create_directories(target.parent_path());
    std::string scratch_name = (target.parent_path() / "incoming_XXXXXX").string();
    if (::mkdtemp(scratch_name.data()) == nullptr) {
      throw std::runtime_error("cannot create a folder in " + target.parent_path().string() + ": " +
                               std::strerror(errno));
    }
    const std::filesystem::path scratch = scratch_name;
    std::string args = "\"" + scratch.string() + "\"";
    if (have_fixtures()) args += " \"" + fixtures_dir().string() + "\"";
    if (run_python_script("make_reference.py", args) != 0 || !std::filesystem::exists(scratch / "done")) {
      throw std::runtime_error("python/make_reference.py failed");
    }
    std::error_code ec;
    std::filesystem::rename(scratch, target, ec);  // fails harmlessly when another process got there first
    return std::filesystem::exists(target / "done") ? target : scratch;
  }();
  return dir;
}

}  // namespace focal::test
