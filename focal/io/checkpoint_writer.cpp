#include "focal/io/checkpoint_writer.h"

#include "focal/io/atomic_write.h"

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
  AtomicFileWriter out(path);  // errors name `path` and say why (a full disk, a missing folder)
  // The zip writer must never see a failed write: it would throw again from its destructor. The first
  // failure is kept and thrown once the writer has finished.
  std::exception_ptr failure;
  try {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t size) -> size_t {
      if (!failure) {
        try {
          out.write(data, size);
        } catch (const std::exception&) {
          failure = std::current_exception();
        }
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
    if (failure) std::rethrow_exception(failure);
    throw std::runtime_error(path + ": cannot write checkpoint: " + e.what_without_backtrace());
  }
  if (failure) std::rethrow_exception(failure);
  out.commit();
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
