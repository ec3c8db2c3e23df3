#include "train/distributed/rank_rng.h"

#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace focal::train {

namespace {

void put(std::string& out, const torch::Tensor& t) {
  const uint64_t n = t.defined() ? static_cast<uint64_t>(t.numel()) : 0;
  out.append(reinterpret_cast<const char*>(&n), sizeof(n));
  if (n > 0) {
    auto bytes = t.to(torch::kCPU).contiguous();
    out.append(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), n);
  }
}

torch::Tensor take(const std::string& in, size_t& pos) {
  uint64_t n = 0;
  if (in.size() - pos < sizeof(n)) throw std::runtime_error("rank generator record is truncated");
  std::memcpy(&n, in.data() + pos, sizeof(n));
  pos += sizeof(n);
  if (n > in.size() - pos) throw std::runtime_error("rank generator record is truncated");
  if (n == 0) return {};
  auto t = torch::empty({static_cast<int64_t>(n)}, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), in.data() + pos, n);
  pos += n;
  return t;
}

}  // namespace

std::string encode_rank_rng(const RankRng& rng) {
  std::string out;
  put(out, rng.torch);
  put(out, rng.cuda);
  put(out, rng.mixup);
  return out;
}

RankRng decode_rank_rng(const std::string& bytes) {
  size_t pos = 0;
  RankRng r;
  r.torch = take(bytes, pos);
  r.cuda = take(bytes, pos);
  r.mixup = take(bytes, pos);
  return r;
}

std::vector<RankRng> gather_rank_rng(Communicator& comm, const RankRng& mine) {
  std::vector<RankRng> out;
  for (const auto& rec : comm.gather_to_main("rng", encode_rank_rng(mine)))
    out.push_back(decode_rank_rng(rec));
  return out;
}

}  // namespace focal::train
