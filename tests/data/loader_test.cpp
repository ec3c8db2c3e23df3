// The loader: DistributedSampler shares, determinism across worker counts, resume, corrupt files, factory.
#include "data/loading/loader.h"
#include "data/datasets/file_io.h"
#include "data/datasets/folder_dataset.h"
#include "data/datasets/synthetic_dataset.h"
#include "data/loading/data_factory.h"
#include "data/loading/sampler.h"
#include "tests/data/data_test_util.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

using namespace focal;
using namespace focal::data;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const Dataset> small_synthetic(int64_t n) {
  return std::make_shared<SyntheticDataset>(
      SyntheticDatasetOptions().size(n).num_classes(7).height(40).width(48));
}

std::shared_ptr<const SampleTransform> small_train_transform() {
  return std::make_shared<TrainTransform>(TrainTransformOptions().img_size(32).reprob(0.5));
}

std::vector<Batch> drain(Loader& loader) {
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(*b);
  return out;
}

bool same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!torch::equal(a[i].images, b[i].images) || !torch::equal(a[i].labels, b[i].labels)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("distributed shares are disjoint, equal and cover the data", "[loader]") {
  for (int64_t n : {10, 11, 13, 16, 17}) {
    const auto order = shuffled_order(n, 3, 2);
    for (int64_t world = 1; world <= 4; ++world) {
      INFO("n=" << n << " world=" << world);
      std::set<int64_t> seen;
      std::vector<int64_t> all;
      for (int64_t r = 0; r < world; ++r) {
        const auto share = distributed_share(order, r, world, /*drop_last=*/true);
        CHECK(static_cast<int64_t>(share.size()) == n / world);
        for (int64_t i : share) {
          CHECK(seen.insert(i).second);  // disjoint
        }
      }
      CHECK(static_cast<int64_t>(seen.size()) == (n / world) * world);
      std::set<int64_t> covered;
      for (int64_t r = 0; r < world; ++r) {
        const auto share = distributed_share(order, r, world, /*drop_last=*/false);
        CHECK(static_cast<int64_t>(share.size()) == (n + world - 1) / world);
        covered.insert(share.begin(), share.end());
      }
      CHECK(static_cast<int64_t>(covered.size()) == n);  // every sample, padding repeats a few
    }
  }
}

TEST_CASE("sampler matches torch.utils.data.DistributedSampler", "[python][loader]") {
  const auto py = test::python_interpreter();
  if (!py) FOCAL_SKIP_MISSING("no Python interpreter for the reference");
  const fs::path dir = test::temp_dir("sampler_ref");
  if (!test::run_python(*py, dir, "torch", R"(
import torch
from torch.utils.data import DistributedSampler
with open(r')" + (dir / "ref.txt").string() + R"(', 'w') as f:
    for n in (10, 13):
        for world in (1, 3, 4):
            for drop in (False, True):
                for shuffle in (False, True):
                    for rank in range(world):
                        s = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=shuffle, seed=5, drop_last=drop)
                        s.set_epoch(2)
                        f.write(' '.join(map(str, [n, world, int(drop), int(shuffle), rank] + list(s))) + '\n')
)"))
    FOCAL_SKIP_MISSING("Python with torch not found");
  std::ifstream in(dir / "ref.txt");
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    int64_t n, world, drop, shuffle, rank, v;
    ls >> n >> world >> drop >> shuffle >> rank;
    std::vector<int64_t> ref;
    while (ls >> v) ref.push_back(v);
    const auto order = shuffle ? shuffled_order(n, 5, 2) : sequential_order(n);
    CHECK(distributed_share(order, rank, world, drop != 0) == ref);
    ++lines;
  }
  CHECK(lines == 2 * (1 + 3 + 4) * 4);
}

TEST_CASE("batches are identical whatever the number of workers", "[loader]") {
  const auto ds = small_synthetic(40);
  const auto t = small_train_transform();
  auto options = LoaderOptions().batch_size(6).seed(9).prefetch_batches(2);
  DataLoader inline_loader(ds, t, LoaderOptions(options).num_workers(0));
  DataLoader one(ds, t, LoaderOptions(options).num_workers(1));
  DataLoader three(ds, t, LoaderOptions(options).num_workers(3));
  for (Loader* l :
       {static_cast<Loader*>(&inline_loader), static_cast<Loader*>(&one), static_cast<Loader*>(&three)}) {
    l->set_epoch(1);
  }
  const auto a = drain(inline_loader), b = drain(one), c = drain(three);
  REQUIRE(a.size() == 6);  // 40 / 6, last partial batch dropped
  CHECK(a[0].images.sizes() == torch::IntArrayRef({6, 3, 32, 32}));
  CHECK(same_batches(a, b));
  CHECK(same_batches(a, c));
  // Another epoch gives another order and other augmentations.
  three.set_epoch(2);
  const auto d = drain(three);
  CHECK(!same_batches(c, d));
}

TEST_CASE("state/restore resumes with the next batch of the epoch", "[loader]") {
  const auto ds = small_synthetic(30);
  const auto t = small_train_transform();
  const auto options = LoaderOptions().batch_size(4).seed(1).num_workers(2);
  DataLoader first(ds, t, options);
  first.set_epoch(3);
  first.next();
  first.next();
  const LoaderState s = first.state();
  CHECK(s.epoch == 3);
  CHECK(s.next_batch == 2);
  const auto rest = drain(first);
  DataLoader resumed(ds, t, options);
  resumed.restore(s);
  CHECK(resumed.state().next_batch == 2);
  const auto again = drain(resumed);
  CHECK(rest.size() == static_cast<size_t>(first.batches_per_epoch() - 2));
  CHECK(same_batches(rest, again));
  CHECK_THROWS_AS(resumed.restore(LoaderState{0, 99}), std::invalid_argument);
}

TEST_CASE("validation shares pad by wrapping and keep the last partial batch", "[loader]") {
  const auto ds = small_synthetic(10);
  const auto t = std::make_shared<EvalTransform>(EvalTransformOptions().img_size(16).crop_pct(0.875));
  std::multiset<int64_t> labels;
  for (int64_t rank = 0; rank < 3; ++rank) {
    DataLoader loader(
        ds, t,
        LoaderOptions().batch_size(3).shuffle(false).drop_last(false).rank(rank).world_size(3).num_workers(
            1));
    CHECK(loader.num_samples() == 4);
    CHECK(loader.batches_per_epoch() == 2);
    const auto batches = drain(loader);
    REQUIRE(batches.size() == 2);
    CHECK(batches[1].images.size(0) == 1);
    const auto idx = loader.epoch_indices(0);
    CHECK(idx == std::vector<int64_t>{rank, rank + 3, rank + 6, (rank + 9) % 10});
  }
}

TEST_CASE("corrupt and truncated files are skipped, counted and logged with their path", "[loader]") {
  const auto files = test::bench_jpegs(6);
  if (files.size() < 6) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const fs::path root = test::temp_dir("corrupt");
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  for (size_t i = 0; i < 6; ++i) fs::copy_file(files[i], root / (i % 2 ? "a" : "b") / files[i].filename());
  test::write_bytes(root / "a" / "broken.jpg", "\xFF\xD8\xFF\xE0 this is not a JPEG stream");
  const std::string whole = read_file(files[0]);
  test::write_bytes(root / "b" / "truncated.jpg", whole.substr(0, whole.size() / 3));
  const auto ds = std::make_shared<FolderDataset>(root);
  REQUIRE(ds->size() == 8);
  const auto t = std::make_shared<EvalTransform>(EvalTransformOptions().img_size(32));
  auto run = [&](int64_t workers, std::vector<Batch>* out) {
    // Workers start decoding when the loader is built, so the capture starts before that.
    int64_t skipped = -1;
    const std::string log = test::capture_output([&] {
      DataLoader loader(ds, t,
                        LoaderOptions()
                            .batch_size(8)
                            .shuffle(false)
                            .drop_last(false)
                            .num_workers(workers)
                            .max_unreadable_share(0.25));  // 2 of 8 (the default 5 % would stop)
      *out = drain(loader);
      skipped = loader.skipped_files();
    });
    CHECK(skipped == 2);
    return log;
  };
  std::vector<Batch> a, b;
  const std::string log = run(2, &a);
  run(0, &b);
  CHECK(log.find((root / "a" / "broken.jpg").string()) != std::string::npos);
  CHECK(log.find((root / "b" / "truncated.jpg").string()) != std::string::npos);
  REQUIRE(a.size() == 1);
  CHECK(a[0].images.size(0) == 8);
  CHECK(torch::isfinite(a[0].images).all().item<bool>());
  CHECK(same_batches(a, b));  // the substitutes are chosen deterministically
}

TEST_CASE("factory builds loaders and reports missing data with its path", "[loader]") {
  DataConfig cfg;
  cfg.dataset = "synthetic";
  cfg.img_size = 32;
  cfg.num_classes = 5;
  cfg.synthetic_size = 24;
  cfg.batch_size = 8;
  cfg.num_workers = 2;
  auto train = build_train_loader(cfg);
  CHECK(train->num_classes() == 5);
  CHECK(train->batches_per_epoch() == 3);
  train->set_epoch(0);
  auto batch = train->next();
  REQUIRE(batch.has_value());
  CHECK(batch->images.sizes() == torch::IntArrayRef({8, 3, 32, 32}));
  CHECK(batch->labels.dtype() == torch::kInt64);
  CHECK((batch->labels >= 0).all().item<bool>());
  CHECK((batch->labels < 5).all().item<bool>());
  auto val = build_val_loader(cfg);
  CHECK(val->num_samples() == 24);
  cfg.in_chans = 1;
  auto gray = build_val_loader(cfg);
  CHECK(gray->next()->images.size(1) == 1);

  DataConfig missing;
  missing.dataset = "imagenet";
  missing.data_path = (test::temp_dir("factory") / "no_such_root").string();
  try {
    build_train_loader(missing);
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("no_such_root") != std::string::npos);
  }
  DataConfig unknown;
  unknown.dataset = "coco";
  unknown.data_path = "/tmp";
  CHECK_THROWS_AS(build_train_loader(unknown), std::invalid_argument);
}

TEST_CASE("Fashion-MNIST through the factory keeps one channel", "[loader]") {
  if (!test::have_fashion_mnist())
    FOCAL_SKIP_MISSING("dataset-fashion-mnist is not installed (" << test::fashion_mnist_dir() << ")");
  DataConfig cfg;
  cfg.dataset = "fashion_mnist";
  cfg.data_path = test::fashion_mnist_dir().string();
  cfg.in_chans = 1;
  cfg.img_size = 28;
  cfg.crop_pct = 1.0;
  cfg.batch_size = 16;
  cfg.num_workers = 1;
  auto val = build_val_loader(cfg);
  CHECK(val->num_samples() == 10000);
  CHECK(val->num_classes() == 10);
  auto b = val->next();
  REQUIRE(b.has_value());
  CHECK(b->images.sizes() == torch::IntArrayRef({16, 1, 28, 28}));
}

TEST_CASE("pinned batches copy to the GPU without blocking", "[cuda][loader]") {
  const auto ds = small_synthetic(8);
  DataLoader loader(ds, small_train_transform(), LoaderOptions().batch_size(4).num_workers(1));
  auto b = loader.next();
  REQUIRE(b.has_value());
  CHECK(b->images.is_pinned());
  const Batch d = to_device(*b, torch::Device(torch::kCUDA));
  CHECK(d.images.is_cuda());
  CHECK(torch::equal(d.images.cpu(), b->images));
}
