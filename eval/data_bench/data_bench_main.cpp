// focal-data-bench: images/s of the data pipeline (decode + augment + batch) in total and per core, and
// the converter from an image folder to WebDataset tar shards (options: --help).
#include "data/datasets/folder_dataset.h"
#include "data/datasets/shard_writer.h"
#include "eval/arg_parser.h"
#include "eval/data_bench/data_bench.h"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  focal::data::DataConfig cfg;
  cfg.dataset = "folder";
  cfg.pin_memory = false;
  try {
    focal::eval::ArgParser args(
        "focal-data-bench",
        "Images/s of the data pipeline (decode + augment + batch), in total, per core "
        "and per CPU-second;\nor, with --make-shards, converts an image folder to "
        "WebDataset tar shards.");
    args.option("data", "image folder (one subfolder per class), or a folder of .tar shards with --shards")
        .option("workers", "loader worker threads", "2")
        .option("batches", "batches to time per transform", "30")
        .option("batch-size", "images per batch", "64")
        .option("transform",
                "train (random-resized crop, flip), train-ra (+ RandAugment m9, RandomErasing 0.25), eval "
                "(resize, centre crop) or all",
                "all")
        .flag("shards", "read --data as WebDataset tar shards")
        .flag("no-dct", "decode JPEGs at full size (no DCT scaling)")
        .option("make-shards", "write --data as tar shards into this folder instead of benchmarking")
        .option("shard-size", "samples per shard for --make-shards", "1000")
        .option("prefix", "shard file name prefix for --make-shards", "shard");
    if (!args.parse(argc, argv)) return 0;
    cfg.data_path = args.get("data");
    cfg.num_workers = args.get_int("workers");
    cfg.batch_size = args.get_int("batch-size");
    if (args.has("shards")) cfg.dataset = "shards";
    if (args.has("no-dct")) cfg.dct_scaling = false;
    const std::string transform = args.get("transform"), make_shards = args.get("make-shards"),
                      prefix = args.get("prefix");
    const int64_t batches = args.get_int("batches"), shard_size = args.get_int("shard-size");
    if (cfg.data_path.empty()) throw std::invalid_argument("--data DIR is required (see --help)");

    if (!make_shards.empty()) {
      const focal::data::FolderDataset folder(cfg.data_path);
      const auto r = focal::data::write_shards(
          folder, make_shards, focal::data::ShardWriterOptions().prefix(prefix).samples_per_shard(shard_size),
          folder.classes());
      std::printf("wrote %lld samples (%.1f MB) in %lld shards to %s\n", static_cast<long long>(r.samples),
                  r.bytes / 1e6, static_cast<long long>(r.shards), make_shards.c_str());
      return 0;
    }

    const std::vector<std::string> transforms = transform == "all"
                                                    ? std::vector<std::string>{"train", "train-ra", "eval"}
                                                    : std::vector<std::string>{transform};
    std::printf("%-9s %8s %9s %11s %14s %16s\n", "transform", "images", "seconds", "images/s",
                "images/s/core", "images/cpu-s");
    for (const auto& t : transforms) {
      const auto r = focal::bench::run_data_bench(cfg, t, batches);
      std::printf("%-9s %8lld %9.2f %11.1f %14.1f %16.1f\n", t.c_str(), static_cast<long long>(r.images),
                  r.wall_seconds, r.images_per_second(), r.images_per_second_per_core(),
                  r.images_per_cpu_second());
      std::fflush(stdout);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "focal-data-bench: %s\n", e.what());
    return 1;
  }
}
