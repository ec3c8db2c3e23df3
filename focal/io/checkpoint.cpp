#include "focal/io/checkpoint.h"

#include <c10/util/Exception.h>

#include <new>
#include <stdexcept>

#include "focal/io/detail/format_error.h"
#include "focal/io/detail/legacy_reader.h"
#include "focal/io/detail/mapped_file.h"
#include "focal/io/detail/torch_zip_reader.h"

namespace focal::io {
namespace {

constexpr std::string_view kZipMagic("PK\x03\x04", 4);
constexpr std::string_view kEmptyZipMagic("PK\x05\x06", 4);
constexpr size_t kTarMagicOffset = 257;
constexpr std::string_view kTarMagic = "ustar";

c10::IValue dispatch(std::string_view bytes, const ReadOptions& options) {
  if (bytes.empty()) throw detail::FormatError("file is empty");
  if (bytes.substr(0, 4) == kZipMagic || bytes.substr(0, 4) == kEmptyZipMagic) {
    return detail::read_torch_zip(bytes, options);
  }
  if (bytes.size() > kTarMagicOffset + kTarMagic.size() &&
      bytes.substr(kTarMagicOffset, kTarMagic.size()) == kTarMagic) {
    throw detail::FormatError("the tar-based torch.save format of torch < 0.4 is not supported");
  }
  return detail::read_torch_legacy_or_pickle(bytes, options);
}

}  // namespace

c10::IValue read_pickle_bytes(std::string_view bytes, const std::string& source_name,
                              const ReadOptions& options) {
  try {
    return dispatch(bytes, options);
  } catch (const detail::FormatError& e) {
    throw std::runtime_error(source_name + ": " + e.what());
  } catch (const c10::Error& e) {
    throw std::runtime_error(source_name + ": " + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    throw std::runtime_error(source_name + ": out of memory while reading");
  }
}

c10::IValue read_pickle_file(const std::string& path, const ReadOptions& options) {
  detail::MappedFile file(path);
  return read_pickle_bytes(file.bytes(), path, options);
}

}  // namespace focal::io
