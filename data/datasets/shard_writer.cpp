#include "data/datasets/shard_writer.h"

#include "data/datasets/tar_file.h"
#include "data/decode/image_decoder.h"
#include "data/loading/rng.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <stdexcept>

namespace focal::data {
namespace fs = std::filesystem;
namespace {

// The member extension: from the content for JPEG/PNG, else from the file name.
std::string extension_for(const RawSample& s) {
  const auto* data = reinterpret_cast<const uint8_t*>(s.bytes.data());
  switch (sniff_format(data, s.bytes.size())) {
    case ImageFormat::kJpeg:
      return "jpg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kOther:
      break;
  }
  std::string ext = fs::path(s.name).extension().string();
  if (!ext.empty()) ext = ext.substr(1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext.empty() || ext.find('.') != std::string::npos)
    throw std::runtime_error(s.name + ": unknown image type");
  return ext;
}

}  // namespace

ShardWriteResult write_shards(const Dataset& source, const fs::path& out_dir,
                              const ShardWriterOptions& options,
                              const std::vector<std::string>& class_names) {
  if (options.samples_per_shard() < 1)
    throw std::invalid_argument("write_shards: samples_per_shard must be >= 1");
  fs::create_directories(out_dir);
  std::vector<int64_t> order(static_cast<size_t>(source.size()));
  std::iota(order.begin(), order.end(), 0);
  if (options.shuffle()) {
    Rng rng(options.seed());
    for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i)
      std::swap(order[i], order[rng.randint(0, i)]);
  }
  ShardWriteResult result;
  std::unique_ptr<TarWriter> writer;
  for (size_t pos = 0; pos < order.size(); ++pos) {
    if (pos % static_cast<size_t>(options.samples_per_shard()) == 0) {
      if (writer) writer->finish();
      char name[64];
      std::snprintf(name, sizeof(name), "-%06lld.tar", static_cast<long long>(result.shards));
      writer = std::make_unique<TarWriter>(out_dir / (options.prefix() + name));
      ++result.shards;
    }
    const RawSample s = source.get(order[pos]);
    if (s.bytes.empty()) throw std::runtime_error(source.describe(order[pos]) + ": no encoded bytes to pack");
    char key[32];
    std::snprintf(key, sizeof(key), "%09zu", pos);
    writer->add(std::string(key) + "." + extension_for(s), s.bytes);
    writer->add(std::string(key) + ".cls", std::to_string(s.label));
    result.bytes += static_cast<int64_t>(s.bytes.size());
    ++result.samples;
  }
  if (writer) writer->finish();
  if (!class_names.empty()) {
    const fs::path tmp = out_dir / "classes.txt.tmp";
    {
      std::ofstream f(tmp);
      for (const auto& c : class_names) f << c << "\n";
      if (!f) throw std::runtime_error(tmp.string() + ": write failed");
    }
    fs::rename(tmp, out_dir / "classes.txt");
  }
  return result;
}

}  // namespace focal::data
