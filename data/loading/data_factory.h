#pragma once
// The single entry point of the training driver: datasets, transforms and loaders from one config.
#include "data/loading/loader.h"
#include "data/transforms/mixup.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace focal::data {

struct DataConfig {
  std::string dataset =
      "imagenet";  // "imagenet" (root/train, root/val) | "folder" (root itself, split ignored) |
                   // "fashion_mnist" (root = idx folder) | "shards" (root = folder of .tar) | "synthetic"
                   // | "file_list" (root = a "<path> <label>" list, or a folder with train.txt/val.txt)
  std::string data_path;
  int64_t img_size = 224;
  std::string interpolation = "bicubic";
  double crop_pct = 0.875;        // eval resize = int(img_size / crop_pct)
  bool test_crop = true;          // original TEST.CROP: false -> resize straight to img_size
  int64_t in_chans = 3;           // 1 keeps grayscale (for small models), 3 converts to RGB
  int64_t num_classes = 1000;     // for synthetic data and soft targets
  int64_t synthetic_size = 1024;  // number of synthetic samples
  // augmentation (original AUG.* keys)
  double color_jitter = 0.4;
  std::string auto_augment = "rand-m9-mstd0.5-inc1";  // "" or "none" disables
  double reprob = 0.25;
  std::string remode = "pixel";
  int64_t recount = 1;
  bool train_augment = true;  // false: train split uses the eval transform (tiny quick runs)
  std::vector<double> mean{0.485, 0.456, 0.406}, std{0.229, 0.224, 0.225};
  // loader
  int64_t batch_size = 128;
  int64_t num_workers = 8;
  bool pin_memory = true;
  int64_t prefetch_batches = 4;
  uint64_t seed = 0;
  int64_t rank = 0;
  int64_t world_size = 1;
  // extensions
  int64_t max_image_pixels = 178956970;  // images above are refused from their header (kDefaultMaxImagePixels)
  double max_unreadable_share = 0.05;     // more unreadable files than this share of the data set: an error
  int64_t shuffle_buffer = 4096;  // "shards": samples in the in-memory shuffle buffer
  bool dct_scaling = true;        // train: JPEG decoded at 1/2..1/8 when the crop stays >= img_size
};

// The dataset of a split ("train" or "val"); throws std::runtime_error with the path when it is missing.
std::shared_ptr<const Dataset> build_dataset(const DataConfig& cfg, const std::string& split);
std::shared_ptr<const SampleTransform> build_train_transform(const DataConfig& cfg);
std::shared_ptr<const SampleTransform> build_eval_transform(const DataConfig& cfg);

std::unique_ptr<Loader> build_train_loader(const DataConfig& cfg);  // shuffle, drop_last, train transform
std::unique_ptr<Loader> build_val_loader(
    const DataConfig& cfg);  // sequential, each image on exactly one rank (no padding), eval transform

}  // namespace focal::data
