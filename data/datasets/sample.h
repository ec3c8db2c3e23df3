#pragma once
// One sample as a dataset hands it over: the encoded file bytes, or pixels for datasets stored decoded
// (Fashion-MNIST, synthetic), plus its label and a name for messages.
#include "data/decode/image.h"

#include <cstdint>
#include <optional>
#include <string>

namespace focal::data {

struct RawSample {
  std::string bytes;           // encoded image (JPEG, PNG, ...) when `image` is empty
  std::optional<Image> image;  // decoded pixels, when the dataset stores them
  int64_t label = 0;
  std::string name;  // file path or "<shard>:<key>", for log messages
};

}  // namespace focal::data
