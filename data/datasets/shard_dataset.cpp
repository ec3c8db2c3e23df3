#include "data/datasets/shard_dataset.h"

#include "data/datasets/file_io.h"
#include "data/datasets/folder_dataset.h"
#include "data/datasets/tar_file.h"
#include "data/loading/rng.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace focal::data {
namespace fs = std::filesystem;

std::pair<std::string, std::string> split_member_name(const std::string& name) {
  const size_t slash = name.rfind('/');
  const size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
  if (dot == std::string::npos) return {name, ""};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

ShardDataset::ShardDataset(const fs::path& folder, ShardDatasetOptions options)
    : options_(std::move(options)) {
  if (!fs::is_directory(folder))
    throw std::runtime_error("shard dataset: folder '" + folder.string() + "' does not exist");
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && entry.path().extension() == ".tar") shards_.push_back(entry.path());
  }
  std::sort(shards_.begin(), shards_.end());
  if (shards_.empty()) throw std::runtime_error("shard dataset: no .tar shard in '" + folder.string() + "'");

  int64_t max_label = -1;
  for (size_t s = 0; s < shards_.size(); ++s) {
    shard_begin_.push_back(static_cast<int64_t>(samples_.size()));
    TarReader reader(shards_[s]);
    TarMember m;
    Entry current;
    bool has_image = false, has_label = false;
    auto flush = [&] {
      if (current.key.empty()) return;
      if (!has_image || !has_label) {
        throw std::runtime_error("shard dataset: " + shards_[s].string() + ": sample '" + current.key +
                                 "' lacks its " + (has_image ? ".cls label" : "image") + " member");
      }
      samples_.push_back(current);
    };
    // Only the tiny .cls members are read; images are skipped and located by offset.
    while (reader.next(m)) {
      auto [key, ext] = split_member_name(m.name);
      if (key != current.key) {
        flush();
        current = Entry{};
        current.key = key;
        current.shard = static_cast<int32_t>(s);
        has_image = has_label = false;
      }
      if (ext == "cls") {
        const std::string label_text = reader.read_contents();
        try {
          current.label = std::stoll(label_text);
        } catch (const std::exception&) {
          throw std::runtime_error("shard dataset: " + shards_[s].string() + ": label of '" + key +
                                   "' is not a number");
        }
        max_label = std::max(max_label, current.label);
        has_label = true;
      } else if (has_image_extension("x." + ext)) {
        current.offset = m.offset;
        current.size = m.size;
        has_image = true;
      }
    }
    flush();
  }
  shard_begin_.push_back(static_cast<int64_t>(samples_.size()));
  if (samples_.empty())
    throw std::runtime_error("shard dataset: the shards in '" + folder.string() + "' hold no sample");

  num_classes_ = max_label + 1;
  std::ifstream classes(folder / "classes.txt");
  if (classes) {
    int64_t n = 0;
    std::string line;
    while (std::getline(classes, line)) n += line.empty() ? 0 : 1;
    if (n < num_classes_) {
      throw std::runtime_error("shard dataset: " + (folder / "classes.txt").string() + " names " +
                               std::to_string(n) + " classes but labels go up to " +
                               std::to_string(max_label));
    }
    num_classes_ = n;
  }
  for (const auto& p : shards_) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(p.string() + ": cannot open: " + std::strerror(errno));
    fds_.push_back(fd);
  }
}

ShardDataset::~ShardDataset() {
  for (int fd : fds_) ::close(fd);
}

RawSample ShardDataset::get(int64_t index) const {
  const Entry& e = samples_.at(static_cast<size_t>(index));
  RawSample s;
  s.bytes = read_range(fds_[e.shard], e.offset, e.size, describe(index));
  s.label = e.label;
  s.name = describe(index);
  return s;
}

std::string ShardDataset::describe(int64_t index) const {
  const Entry& e = samples_.at(static_cast<size_t>(index));
  return shards_[e.shard].string() + ":" + e.key;
}

std::vector<int64_t> ShardDataset::epoch_order(uint64_t seed, int64_t epoch, bool shuffle) const {
  std::vector<int64_t> order;
  order.reserve(samples_.size());
  if (!shuffle) {
    for (int64_t i = 0; i < size(); ++i) order.push_back(i);
    return order;
  }
  Rng rng(combine_seed(seed, static_cast<uint64_t>(epoch)));
  std::vector<int64_t> shard_order(shards_.size());
  for (size_t i = 0; i < shard_order.size(); ++i) shard_order[i] = static_cast<int64_t>(i);
  for (int64_t i = static_cast<int64_t>(shard_order.size()) - 1; i > 0; --i) {
    std::swap(shard_order[i], shard_order[rng.randint(0, i)]);
  }
  const int64_t capacity = std::max<int64_t>(1, options_.shuffle_buffer());
  std::vector<int64_t> buffer;
  buffer.reserve(static_cast<size_t>(capacity));
  auto emit_random = [&] {
    const int64_t k = rng.randint(0, static_cast<int64_t>(buffer.size()) - 1);
    order.push_back(buffer[k]);
    buffer[k] = buffer.back();
    buffer.pop_back();
  };
  for (int64_t s : shard_order) {
    for (int64_t i = shard_begin_[s]; i < shard_begin_[s + 1]; ++i) {
      buffer.push_back(i);
      if (static_cast<int64_t>(buffer.size()) >= capacity) emit_random();
    }
  }
  while (!buffer.empty()) emit_random();
  return order;
}

}  // namespace focal::data
