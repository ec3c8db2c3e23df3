#include "data/loading/data_factory.h"

#include "data/datasets/fashion_mnist_dataset.h"
#include "data/datasets/file_list_dataset.h"
#include "data/datasets/folder_dataset.h"
#include "data/datasets/shard_dataset.h"
#include "data/datasets/synthetic_dataset.h"

#include <cmath>
#include <filesystem>
#include <numeric>
#include <stdexcept>

namespace focal::data {
namespace fs = std::filesystem;
namespace {

void check_split(const std::string& split) {
  if (split != "train" && split != "val")
    throw std::invalid_argument("data: split must be 'train' or 'val', not '" + split + "'");
}

// Grayscale models normalise with the mean of the RGB statistics.
std::vector<double> per_channel(const std::vector<double>& v, int64_t channels) {
  if (channels == 1 && v.size() > 1)
    return {std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size())};
  return v;
}

void check_config(const DataConfig& cfg) {
  if (cfg.in_chans != 1 && cfg.in_chans != 3) throw std::invalid_argument("data: in_chans must be 1 or 3");
  if (cfg.mean.size() != cfg.std.size() || (cfg.mean.size() != 1 && cfg.mean.size() != 3)) {
    throw std::invalid_argument("data: mean and std need 1 or 3 values each");
  }
  if (cfg.img_size <= 0) throw std::invalid_argument("data: img_size must be positive");
}

LoaderOptions loader_options(const DataConfig& cfg, bool train) {
  return LoaderOptions()
      .batch_size(cfg.batch_size)
      .num_workers(cfg.num_workers)
      .prefetch_batches(cfg.prefetch_batches)
      .shuffle(train)
      .drop_last(train)
      .exact_shares(!train)
      // Validation leaves an unreadable image out of every figure (as focal-eval does); substituting the next
      // image would count that one twice. Training substitutes, so that batches stay full.
      .skip_unreadable(!train)
      .pin_memory(cfg.pin_memory)
      .seed(cfg.seed)
      .rank(cfg.rank)
      .world_size(cfg.world_size)
      .max_image_pixels(cfg.max_image_pixels)
      .max_unreadable_share(cfg.max_unreadable_share);
}

}  // namespace

std::shared_ptr<const Dataset> build_dataset(const DataConfig& cfg, const std::string& split) {
  check_split(split);
  const fs::path root(cfg.data_path);
  if (cfg.dataset == "synthetic") {
    const auto side = static_cast<int64_t>(std::floor(static_cast<double>(cfg.img_size) / cfg.crop_pct));
    return std::make_shared<SyntheticDataset>(SyntheticDatasetOptions()
                                                  .size(cfg.synthetic_size)
                                                  .num_classes(cfg.num_classes)
                                                  .height(side)
                                                  .width(side + side / 4)
                                                  .channels(cfg.in_chans)
                                                  .seed(cfg.seed * 2 + (split == "train" ? 0 : 1)));
  }
  if (cfg.data_path.empty())
    throw std::invalid_argument("data: data_path is empty for dataset '" + cfg.dataset + "'");
  if (!fs::exists(root)) throw std::runtime_error("data: data_path '" + root.string() + "' does not exist");
  if (cfg.dataset == "imagenet") return std::make_shared<FolderDataset>(root / split);
  if (cfg.dataset == "folder") return std::make_shared<FolderDataset>(root);
  if (cfg.dataset == "fashion_mnist") return std::make_shared<FashionMnistDataset>(root, split == "train");
  if (cfg.dataset == "shards") {
    const fs::path dir = fs::is_directory(root / split) ? root / split : root;
    return std::make_shared<ShardDataset>(dir, ShardDatasetOptions().shuffle_buffer(cfg.shuffle_buffer));
  }
  if (cfg.dataset == "file_list") {
    const fs::path list = fs::is_directory(root) ? root / (split + ".txt") : root;
    return std::make_shared<FileListDataset>(list);
  }
  throw std::invalid_argument("data: unknown dataset '" + cfg.dataset +
                              "' (imagenet, folder, fashion_mnist, shards, file_list or synthetic)");
}

std::shared_ptr<const SampleTransform> build_train_transform(const DataConfig& cfg) {
  check_config(cfg);
  if (!cfg.train_augment) return build_eval_transform(cfg);
  return std::make_shared<TrainTransform>(TrainTransformOptions()
                                              .img_size(cfg.img_size)
                                              .channels(cfg.in_chans)
                                              .interpolation(cfg.interpolation)
                                              .color_jitter(cfg.color_jitter)
                                              .auto_augment(cfg.auto_augment)
                                              .mean(per_channel(cfg.mean, cfg.in_chans))
                                              .std(per_channel(cfg.std, cfg.in_chans))
                                              .reprob(cfg.reprob)
                                              .remode(cfg.remode)
                                              .recount(cfg.recount)
                                              .dct_scaling(cfg.dct_scaling));
}

std::shared_ptr<const SampleTransform> build_eval_transform(const DataConfig& cfg) {
  check_config(cfg);
  return std::make_shared<EvalTransform>(
      EvalTransformOptions()
          .img_size(cfg.img_size)
          .channels(cfg.in_chans)
          .interpolation(cfg.interpolation == "random" ? "bilinear" : cfg.interpolation)
          .crop_pct(cfg.crop_pct)
          .center_crop(cfg.test_crop)
          .mean(per_channel(cfg.mean, cfg.in_chans))
          .std(per_channel(cfg.std, cfg.in_chans)));
}

std::unique_ptr<Loader> build_train_loader(const DataConfig& cfg) {
  return std::make_unique<DataLoader>(build_dataset(cfg, "train"), build_train_transform(cfg),
                                      loader_options(cfg, true));
}

std::unique_ptr<Loader> build_val_loader(const DataConfig& cfg) {
  return std::make_unique<DataLoader>(build_dataset(cfg, "val"), build_eval_transform(cfg),
                                      loader_options(cfg, false));
}

}  // namespace focal::data
