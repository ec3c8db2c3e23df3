#include "train/output/tensorboard_writer.h"

#include "train/output/crc32c.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace focal::train {

namespace {

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, uint32_t field, uint32_t wire_type) {
  put_varint(out, (field << 3) | wire_type);
}

template <class T>
void put_little_endian(std::string& out, T value) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // the project targets little-endian hosts (x86-64, aarch64)
  out.append(reinterpret_cast<const char*>(bytes), sizeof(T));
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// Event fields: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string), summary = 5.
std::string event_header(double wall_time, int64_t step) {
  std::string e;
  put_key(e, 1, kFixed64);
  put_little_endian(e, wall_time);
  put_key(e, 2, kVarint);
  put_varint(e, static_cast<uint64_t>(step));
  return e;
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string encode_file_version_event(double wall_time, int64_t step, const std::string& version) {
  auto e = event_header(wall_time, step);
  put_bytes(e, 3, version);
  return e;
}

std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag, float value) {
  // Summary.Value: tag = 1 (string), simple_value = 2 (float).
  std::string v;
  put_bytes(v, 1, tag);
  put_key(v, 2, kFixed32);
  put_little_endian(v, value);
  // Summary: value = 1 (repeated Value).
  std::string summary;
  put_bytes(summary, 1, v);
  auto e = event_header(wall_time, step);
  put_bytes(e, 5, summary);
  return e;
}

std::string frame_record(const std::string& payload) {
  std::string out;
  uint64_t length = payload.size();
  std::string len_bytes;
  put_little_endian(len_bytes, length);
  out += len_bytes;
  put_little_endian(out, masked_crc32c(len_bytes.data(), len_bytes.size()));
  out += payload;
  put_little_endian(out, masked_crc32c(payload.data(), payload.size()));
  return out;
}

TensorBoardWriter::TensorBoardWriter(const std::filesystem::path& log_dir) {
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  double now = now_seconds();
  path_ = log_dir / ("events.out.tfevents." + std::to_string(static_cast<int64_t>(now)) + "." + host + "." +
                     std::to_string(::getpid()));
  out_.open(path_, std::ios::binary | std::ios::app);
  if (!out_) throw std::runtime_error(path_.string() + ": cannot create the TensorBoard event file");
  write_event(encode_file_version_event(now, 0, "brain.Event:2"));
  flush();
}

void TensorBoardWriter::write_event(const std::string& payload) {
  auto record = frame_record(payload);
  out_.write(record.data(), static_cast<std::streamsize>(record.size()));
  if (!out_) throw std::runtime_error(path_.string() + ": writing a TensorBoard event failed");
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  write_event(encode_scalar_event(now_seconds(), step, tag, static_cast<float>(value)));
}

void TensorBoardWriter::flush() { out_.flush(); }

}  // namespace focal::train
