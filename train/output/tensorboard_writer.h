#pragma once
// A TensorBoard event file writer for scalars, without TensorFlow or protobuf: each record is the
// TFRecord framing (uint64 length, masked CRC-32C of the length, payload, masked CRC-32C of the payload)
// around a hand-encoded tensorflow.Event protobuf. The first event carries file_version "brain.Event:2".
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace focal::train {

// The protobuf bytes of Event{wall_time, step, file_version} and Event{wall_time, step,
// summary{value{tag, simple_value}}}.
std::string encode_file_version_event(double wall_time, int64_t step, const std::string& version);
std::string encode_scalar_event(double wall_time, int64_t step, const std::string& tag, float value);
// One TFRecord: length, masked CRC of the length, payload, masked CRC of the payload.
std::string frame_record(const std::string& payload);

class TensorBoardWriter {
 public:
  // Creates `log_dir` and a new events.out.tfevents.<seconds>.<host>.<pid> file in it.
  explicit TensorBoardWriter(const std::filesystem::path& log_dir);

  void add_scalar(const std::string& tag, double value, int64_t step);
  void flush();
  const std::filesystem::path& path() const { return path_; }

 private:
  void write_event(const std::string& payload);

  std::filesystem::path path_;
  std::ofstream out_;
};

}  // namespace focal::train
