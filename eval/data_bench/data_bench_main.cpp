// focal-data-bench: images/s of the data pipeline (decode + augment + batch) in total and per core, and
// the converter from an image folder to WebDataset tar shards.
//
//   focal-data-bench --data DIR [--workers N] [--batches K] [--batch-size B] [--transform
//   train|train-ra|eval|all]
//                    [--shards] [--no-dct]
//   focal-data-bench --data DIR --make-shards OUT [--shard-size N] [--prefix NAME]
#include "data/folder_dataset.h"
#include "data/shard_writer.h"
#include "eval/data_bench/data_bench.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: focal-data-bench --data DIR [--workers N] [--batches K] [--batch-size B]\n"
               "                        [--transform train|train-ra|eval|all] [--shards] [--no-dct]\n"
               "       focal-data-bench --data DIR --make-shards OUT [--shard-size N] [--prefix NAME]\n");
}

}  // namespace

int main(int argc, char** argv) {
  focal::data::DataConfig cfg;
  cfg.dataset = "folder";
  cfg.num_workers = 2;
  cfg.batch_size = 64;
  cfg.pin_memory = false;
  std::string transform = "all", make_shards, prefix = "shard";
  int64_t batches = 30, shard_size = 1000;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--data")
        cfg.data_path = value();
      else if (a == "--workers")
        cfg.num_workers = std::stoll(value());
      else if (a == "--batches")
        batches = std::stoll(value());
      else if (a == "--batch-size")
        cfg.batch_size = std::stoll(value());
      else if (a == "--transform")
        transform = value();
      else if (a == "--shards")
        cfg.dataset = "shards";
      else if (a == "--no-dct")
        cfg.dct_scaling = false;
      else if (a == "--make-shards")
        make_shards = value();
      else if (a == "--shard-size")
        shard_size = std::stoll(value());
      else if (a == "--prefix")
        prefix = value();
      else if (a == "--help" || a == "-h") {
        usage();
        return 0;
      } else {
        throw std::invalid_argument("unknown argument '" + a + "'");
      }
    }
    if (cfg.data_path.empty()) throw std::invalid_argument("--data is required");

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
    usage();
    return 1;
  }
}
