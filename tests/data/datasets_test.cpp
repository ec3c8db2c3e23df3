// Datasets: Fashion-MNIST from the Debian package, ImageFolder ordering against torchvision, file lists,
// tar shards (round trip, interchange with Python's tarfile, epoch order), synthetic data.
#include "data/datasets/fashion_mnist_dataset.h"
#include "data/datasets/file_io.h"
#include "data/datasets/file_list_dataset.h"
#include "data/datasets/folder_dataset.h"
#include "data/datasets/shard_dataset.h"
#include "data/datasets/shard_writer.h"
#include "data/datasets/synthetic_dataset.h"
#include "data/datasets/tar_file.h"
#include "tests/data/data_test_util.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace focal;
using namespace focal::data;
namespace fs = std::filesystem;

namespace {

void copy_bench(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("Fashion-MNIST from the Debian package: sizes, balanced labels", "[datasets]") {
  if (!test::have_fashion_mnist())
    FOCAL_SKIP_MISSING("dataset-fashion-mnist is not installed (" << test::fashion_mnist_dir() << ")");
  const FashionMnistDataset train(test::fashion_mnist_dir(), true);
  const FashionMnistDataset test_split(test::fashion_mnist_dir(), false);
  CHECK(train.size() == 60000);
  CHECK(test_split.size() == 10000);
  CHECK(train.num_classes() == 10);
  CHECK(train.rows() == 28);
  CHECK(train.cols() == 28);
  // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
  std::vector<int64_t> counts(10, 0), test_counts(10, 0);
  for (int64_t i = 0; i < train.size(); ++i) ++counts[train.label(i)];
  for (int64_t i = 0; i < test_split.size(); ++i) ++test_counts[test_split.label(i)];
  for (int c = 0; c < 10; ++c) {
    CHECK(counts[c] == 6000);
    CHECK(test_counts[c] == 1000);
  }
  const RawSample first = train.get(0);
  REQUIRE(first.image.has_value());
  CHECK(first.image->height() == 28);
  CHECK(first.image->width() == 28);
  CHECK(first.image->channels() == 1);
}

TEST_CASE("Fashion-MNIST pixels and labels equal numpy's reading of the files", "[datasets][python]") {
  if (!test::have_fashion_mnist())
    FOCAL_SKIP_MISSING("dataset-fashion-mnist is not installed (" << test::fashion_mnist_dir() << ")");
  const auto py = test::python_interpreter();
  if (!py) FOCAL_SKIP_MISSING("no Python interpreter for the reference");
  const FashionMnistDataset test_split(test::fashion_mnist_dir(), false);
  const fs::path fmnist = test::fashion_mnist_dir();
  const fs::path dir = test::temp_dir("fmnist_ref");
  if (!test::run_python(*py, dir, "numpy",
                        R"(
import gzip, numpy as np
d = r')" + fmnist.string() +
                            R"('
img = np.frombuffer(gzip.open(d + '/t10k-images-idx3-ubyte.gz').read(), np.uint8, offset=16).reshape(-1, 28, 28)
lab = np.frombuffer(gzip.open(d + '/t10k-labels-idx1-ubyte.gz').read(), np.uint8, offset=8)
img[:3].tofile(r')" + dir.string() +
                            R"(/img.raw')
lab[:3].astype(np.int64).tofile(r')" +
                            dir.string() + R"(/lab.raw')
)"))
    FOCAL_SKIP_MISSING("Python with numpy not found");
  const auto ref = test::read_bytes(dir / "img.raw");
  const auto labels = test::read_bytes(dir / "lab.raw");
  for (int i = 0; i < 3; ++i) {
    const RawSample s = test_split.get(i);
    CHECK(std::equal(s.image->data(), s.image->data() + 784, ref.begin() + i * 784));
    int64_t label = 0;
    std::memcpy(&label, labels.data() + i * 8, 8);
    CHECK(s.label == label);
  }
}

TEST_CASE("image folder order and labels match torchvision's ImageFolder", "[python][datasets]") {
  const auto files = test::bench_jpegs(12);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const auto py = test::python_interpreter();
  if (!py) FOCAL_SKIP_MISSING("no Python interpreter for the reference");
  const fs::path root = test::temp_dir("folder_order");
  // Nested folders, upper-case extensions, names that sort differently by byte, non-image files.
  const std::vector<std::string> names = {"zebra/b.jpg",       "zebra/A.JPG",     "zebra/sub/c.jpeg",
                                          "zebra/sub-x/d.jpg", "apple/x.png.jpg", "apple/10.jpg",
                                          "apple/9.jpg",       "Mango/m.jpg",     "apple/deep/er/q.jpg",
                                          "Mango/.hidden.jpg", "apple/notes.txt", "zebra/e.JPEG"};
  for (size_t i = 0; i < names.size(); ++i) copy_bench(files[i], root / names[i]);
  const FolderDataset ds(root);
  CHECK(ds.num_classes() == 3);
  if (!test::run_python(*py, root, "torchvision", R"(
from torchvision.datasets import ImageFolder
ds = ImageFolder(r')" + root.string() + R"(', loader=lambda p: p)
with open(r')" + (root / "samples.txt").string() + R"(', 'w') as f:
    f.write(' '.join(ds.classes) + '\n')
    for p, y in ds.samples:
        f.write('%s %d\n' % (p, y))
)"))
    FOCAL_SKIP_MISSING("Python with torchvision not found");
  std::ifstream in(root / "samples.txt");
  std::string classes_line;
  std::getline(in, classes_line);
  std::ostringstream ours;
  for (size_t c = 0; c < ds.classes().size(); ++c) ours << (c ? " " : "") << ds.classes()[c];
  CHECK(classes_line == ours.str());
  std::string line;
  int64_t i = 0;
  while (std::getline(in, line)) {
    REQUIRE(i < ds.size());
    const size_t sp = line.rfind(' ');
    CHECK(line.substr(0, sp) == ds.path(i).string());
    CHECK(std::stoll(line.substr(sp + 1)) == ds.label(i));
    ++i;
  }
  CHECK(i == ds.size());
}

TEST_CASE("image folder errors: a missing root, no class folders", "[datasets]") {
  const fs::path missing = test::temp_dir("folder_missing") / "nope";
  try {
    FolderDataset ds(missing);
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(missing.string()) != std::string::npos);
    CHECK(std::string(e.what()).find("does not exist") != std::string::npos);
  }
  const fs::path no_classes = test::temp_dir("folder_no_classes");
  CHECK_THROWS_AS(FolderDataset(no_classes), std::runtime_error);
}

TEST_CASE("image folder with an empty class folder logs it and keeps labels aligned", "[datasets]") {
  const auto files = test::bench_jpegs(4);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const fs::path root = test::temp_dir("folder_empty_class");
  copy_bench(files[0], root / "a" / "1.jpg");
  copy_bench(files[1], root / "a" / "2.jpg");
  fs::create_directories(root / "b");
  copy_bench(files[2], root / "c" / "3.jpg");
  std::unique_ptr<FolderDataset> ds;
  const std::string log = test::capture_output([&] { ds = std::make_unique<FolderDataset>(root); });
  CHECK(log.find((root / "b").string()) != std::string::npos);
  CHECK(ds->num_classes() == 3);
  REQUIRE(ds->size() == 3);
  CHECK(ds->label(0) == 0);
  CHECK(ds->label(1) == 0);
  CHECK(ds->label(2) == 2);  // labels stay aligned with the sorted class folders
}

TEST_CASE("file list dataset: paths with spaces, comments, bad lines", "[datasets]") {
  const auto files = test::bench_jpegs(2);
  if (files.empty()) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const fs::path root = test::temp_dir("file_list");
  copy_bench(files[0], root / "my images" / "one.jpg");
  copy_bench(files[1], root / "two.jpg");
  {
    std::ofstream f(root / "list.txt");
    f << "# comment\n\nmy images/one.jpg 3\n" << (root / "two.jpg").string() << "\t1\r\n";
  }
  const FileListDataset ds(root / "list.txt");
  REQUIRE(ds.size() == 2);
  CHECK(ds.num_classes() == 4);
  CHECK(ds.label(0) == 3);
  CHECK(ds.label(1) == 1);
  CHECK(ds.get(0).bytes == read_file(files[0]));
  {
    std::ofstream f(root / "bad.txt");
    f << "two.jpg 1\ntwo.jpg x\n";
  }
  try {
    FileListDataset bad(root / "bad.txt");
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("bad.txt:2") != std::string::npos);
  }
}

TEST_CASE("folder -> shards -> same samples and labels", "[datasets]") {
  const auto files = test::bench_jpegs(30);
  if (files.size() < 30) FOCAL_SKIP_MISSING("bench JPEGs not found");
  const fs::path root = test::temp_dir("shards_src");
  for (size_t i = 0; i < files.size(); ++i)
    copy_bench(files[i], root / ("class" + std::to_string(i % 3)) / files[i].filename());
  const FolderDataset folder(root);
  const fs::path out = test::temp_dir("shards_out");
  const auto result =
      write_shards(folder, out, ShardWriterOptions().prefix("train").samples_per_shard(7), folder.classes());
  CHECK(result.samples == 30);
  CHECK(result.shards == 5);  // ceil(30 / 7)
  CHECK(fs::exists(out / "train-000000.tar"));
  CHECK(fs::exists(out / "train-000004.tar"));
  CHECK(!fs::exists(out / "train-000000.tar.tmp"));
  const ShardDataset shards(out);
  CHECK(shards.size() == 30);
  CHECK(shards.num_shards() == 5);
  CHECK(shards.num_classes() == 3);
  std::multiset<std::pair<std::string, int64_t>> a, b;
  for (int64_t i = 0; i < folder.size(); ++i) a.insert({folder.get(i).bytes, folder.label(i)});
  for (int64_t i = 0; i < shards.size(); ++i) {
    const RawSample s = shards.get(i);
    b.insert({s.bytes, s.label});
    CHECK(s.label == shards.label(i));
  }
  CHECK(a == b);
}

TEST_CASE("shards interchange with Python's tarfile in both directions", "[python][datasets]") {
  const auto py = test::python_interpreter();
  if (!py) FOCAL_SKIP_MISSING("no Python interpreter for the reference");
  const fs::path dir = test::temp_dir("shards_py");
  fs::create_directories(dir / "py");
  if (!test::run_python(*py, dir, "tarfile",
                        R"(
import io, tarfile
with tarfile.open(r')" + (dir / "py" / "data-000000.tar").string() +
                            R"(', 'w', format=tarfile.GNU_FORMAT) as t:
    for i in range(5):
        key = 'sample/%s_%03d' % ('x' * 90, i)  # long names need GNU long-name records
        for ext, data in [('jpg', bytes([i]) * (100 + i)), ('cls', str(i % 2).encode())]:
            info = tarfile.TarInfo(key + '.' + ext); info.size = len(data)
            t.addfile(info, io.BytesIO(data))
)"))
    FOCAL_SKIP_MISSING("Python not found");
  const ShardDataset from_python(dir / "py");
  REQUIRE(from_python.size() == 5);
  for (int64_t i = 0; i < 5; ++i) {
    const RawSample s = from_python.get(i);
    CHECK(s.bytes == std::string(static_cast<size_t>(100 + i), static_cast<char>(i)));
    CHECK(s.label == i % 2);
  }
  {
    TarWriter w(dir / "ours.tar");
    w.add("k0.jpg", "abc");
    w.add("k0.cls", "7");
    w.add("k1.png", std::string(1000, 'z'));
    w.add("k1.cls", "2");
    w.finish();
  }
  if (!test::run_python(*py, dir, "tarfile",
                        R"(
import tarfile
with tarfile.open(r')" + (dir / "ours.tar").string() +
                            R"(') as t:
    got = [(m.name, t.extractfile(m).read()) for m in t.getmembers()]
assert got == [('k0.jpg', b'abc'), ('k0.cls', b'7'), ('k1.png', b'z' * 1000), ('k1.cls', b'2')], got
)"))
    FAIL("Python's tarfile vanished between two reference scripts");
}

TEST_CASE("shard epoch order: shuffled shards through a buffer, a permutation per epoch", "[datasets]") {
  const fs::path dir = test::temp_dir("shard_order");
  for (int s = 0; s < 4; ++s) {
    TarWriter w(dir / ("part-00000" + std::to_string(s) + ".tar"));
    for (int i = 0; i < 10; ++i) {
      const std::string key = std::to_string(s) + "_" + std::to_string(i);
      w.add(key + ".jpg", "x");
      w.add(key + ".cls", "0");
    }
    w.finish();
  }
  const ShardDataset ds(dir, ShardDatasetOptions().shuffle_buffer(8));
  const auto e0 = ds.epoch_order(5, 0, true);
  const auto e0_again = ds.epoch_order(5, 0, true);
  const auto e1 = ds.epoch_order(5, 1, true);
  CHECK(e0 == e0_again);
  CHECK(e0 != e1);
  std::vector<int64_t> sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 40; ++i) CHECK(sorted[i] == i);
  // A buffer of 8 can only delay a sample: position in the stream minus 8 or later.
  const auto sequential = ds.epoch_order(5, 0, false);
  for (int64_t i = 0; i < 40; ++i) CHECK(sequential[i] == i);
  const ShardDataset no_buffer(dir, ShardDatasetOptions().shuffle_buffer(1));
  const auto streamed = no_buffer.epoch_order(5, 0, true);
  for (int64_t i = 0; i < 40; i += 10) {  // whole shards in a shuffled order
    for (int64_t j = 1; j < 10; ++j) CHECK(streamed[i + j] == streamed[i] + j);
  }
}

TEST_CASE("synthetic dataset is a pure function of the index", "[datasets]") {
  const SyntheticDataset ds(SyntheticDatasetOptions().size(10).num_classes(5).height(20).width(30));
  const RawSample a = ds.get(3), b = ds.get(3), c = ds.get(4);
  REQUIRE(a.image.has_value());
  CHECK(std::equal(a.image->data(), a.image->data() + a.image->num_bytes(), b.image->data()));
  CHECK(!std::equal(a.image->data(), a.image->data() + a.image->num_bytes(), c.image->data()));
  CHECK(a.label == b.label);
  for (int64_t i = 0; i < 10; ++i) CHECK((ds.get(i).label >= 0 && ds.get(i).label < 5));
  CHECK_THROWS_AS(ds.get(10), std::out_of_range);
}
