#include "focal/io/checkpoint_writer.h"

#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "focal/io/detail/torch_pickler.h"

namespace focal::io {
namespace {

// Records torch.save writes besides the storages (the archive folder and `version` come from the writer).
constexpr const char* kPickleRecord = "data.pkl";
constexpr const char* kByteOrderRecord = "byteorder";
constexpr const char* kStorageFolder = "data/";

void write_zip(const std::string& path, const detail::PickledValue& pickled) {
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(tmp + ": cannot open for writing");
  // The writer must never see a failed write: it would throw again from its destructor. Failures are
  // remembered here and reported after it has finished.
  bool write_failed = false;
  try {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t size) -> size_t {
      if (!write_failed) {
        out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
        write_failed = !out;
      }
      return size;
    });
    writer.writeRecord(kPickleRecord, pickled.pickle.data(), pickled.pickle.size());
    const std::string order = "little";
    writer.writeRecord(kByteOrderRecord, order.data(), order.size());
    for (const auto& s : pickled.storages) {
      writer.writeRecord(kStorageFolder + s.key, s.bytes.data_ptr(), static_cast<size_t>(s.bytes.numel()));
    }
    writer.writeEndOfFile();
  } catch (const c10::Error& e) {
    out.close();
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot write checkpoint: " + e.what_without_backtrace());
  }
  out.close();
  if (write_failed || out.fail()) {
    std::remove(tmp.c_str());
    throw std::runtime_error(tmp + ": write failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot move " + tmp + " into place: " + ec.message());
  }
}

}  // namespace

void save_pickle_file(const std::string& path, const c10::IValue& value) {
  detail::PickledValue pickled;
  try {
    pickled = detail::pickle_for_torch_save(value);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  write_zip(path, pickled);
}

void save_state_dict(const std::string& path, const StateDict& state_dict) {
  c10::impl::GenericDict model(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : state_dict) model.insert_or_assign(name, tensor);
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("model", model);
  save_pickle_file(path, c10::IValue(root));
}

}  // namespace focal::io
