// focal-eval as a user runs it: the top-1 of a checkpoint equals what focal-train logged for it
// (Fashion-MNIST), the predictions on real photographs equal our model run on tensors that Pillow +
// torchvision preprocessed (tests/eval/eval_reference.py), every checkpoint layout loads, --ema evaluates the
// EMA weights, the results and predictions files have their columns, and a corrupt image is reported, skipped
// and counted.
#include "focal/config/config.h"
#include "focal/io/state_dict.h"
#include "focal/zoo/model_zoo.h"
#include "tests/eval/eval_test_util.h"
#include "tests/support/test_env.h"

#include <torch/torch.h>
#include <zlib.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace {

namespace fs = std::filesystem;

using namespace focal::test;  // read_text, sq, source_dir, tool_dir

struct Run {
  int status = 0;
  std::string output;
};

// Runs a tool of the build with `args`, stdout and stderr together in `log`.
Run run_tool(const std::string& tool, const std::string& args, const fs::path& log) {
  REQUIRE(fs::exists(tool_dir() / tool));
  Run r;
  r.status = focal::test::run_command(sq(tool_dir() / tool) + " " + args + " > " + sq(log) + " 2>&1");
  r.output = read_text(log);
  return r;
}

// A CSV file as rows of column -> value (no quoted commas in the files read here).
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& path,
                                                         std::vector<std::string>* header) {
  std::ifstream in(path);
  std::string line;
  REQUIRE(std::getline(in, line));
  auto split = [](const std::string& l) {
    std::vector<std::string> out;
    std::stringstream s(l);
    for (std::string f; std::getline(s, f, ',');) out.push_back(f);
    return out;
  };
  const auto names = split(line);
  if (header) *header = names;
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const auto values = split(line);
    REQUIRE(values.size() == names.size());
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < names.size(); ++i) row[names[i]] = values[i];
    rows.push_back(row);
  }
  return rows;
}

// The value after `key` on the last line of `text` that contains `prefix`, e.g. ("* model:", "acc@1 ").
std::string logged(const std::string& text, const std::string& prefix, const std::string& key) {
  std::string found;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto at = line.find(prefix);
    if (at == std::string::npos) continue;
    const auto k = line.find(key, at);
    if (k == std::string::npos) continue;
    std::istringstream value(line.substr(k + key.size()));
    value >> found;
  }
  return found;
}

std::string rounded(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, v);
  return text;
}

// The first `count` records of a gzip-compressed IDX file, written uncompressed to `out`.
void idx_prefix(const fs::path& gz, const fs::path& out, int64_t count, int64_t header, int64_t record) {
  gzFile f = gzopen(gz.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::vector<unsigned char> bytes(static_cast<size_t>(header + count * record));
  const int n = gzread(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  REQUIRE(n == static_cast<int>(bytes.size()));
  for (int i = 0; i < 4; ++i) bytes[4 + i] = static_cast<unsigned char>((count >> (8 * (3 - i))) & 0xff);
  std::ofstream o(out, std::ios::binary);
  o.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// An ImageFolder tree of real photographs: the first `per_class` images of each class of the bench corpus
// (links), plus one corrupt file when `corrupt`.
fs::path photo_folder(const fs::path& dir, int per_class, bool corrupt) {
  const fs::path corpus = focal::test::bench_dir() / "imagenet-like-jpeg" / "train";
  std::vector<fs::path> classes;
  for (const auto& e : fs::directory_iterator(corpus)) {
    if (e.is_directory()) classes.push_back(e.path());
  }
  std::sort(classes.begin(), classes.end());
  const fs::path root = dir / "photos";
  for (const auto& c : classes) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(c)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    fs::create_directories(root / "val" / c.filename());
    for (int i = 0; i < per_class && i < static_cast<int>(files.size()); ++i) {
      fs::create_symlink(files[static_cast<size_t>(i)],
                         root / "val" / c.filename() / files[static_cast<size_t>(i)].filename());
    }
  }
  if (corrupt) {
    std::ofstream bad(root / "val" / classes.at(1).filename() / "zz_corrupt.jpg", std::ios::binary);
    bad << "\xff\xd8\xff\xe0 this is not really a JPEG file, it stops here";
  }
  return root;
}

bool have_bench() { return fs::is_directory(focal::test::bench_dir() / "imagenet-like-jpeg" / "train"); }

const fs::path kMicroCfg = source_dir() / "tests" / "eval" / "focal_micro_224.yaml";

std::string fixture(const std::string& name) { return (focal::test::fixtures_dir() / name).string(); }

}  // namespace

TEST_CASE("focal-eval gives the top-1, top-5 and loss that focal-train logged for its checkpoint",
          "[eval][focal_eval][fashion_mnist]") {
  if (!focal::test::have_fashion_mnist())
    FOCAL_SKIP_MISSING("Fashion-MNIST absent: " + focal::test::fashion_mnist_dir().string());
  const auto dir = focal::test::temp_dir("focal_eval_fmnist");
  // A short training: 512 training images, 2000 test images, EMA on.
  const fs::path data = dir / "fmnist";
  fs::create_directories(data);
  const fs::path src = focal::test::fashion_mnist_dir();
  idx_prefix(src / "train-images-idx3-ubyte.gz", data / "train-images-idx3-ubyte", 512, 16, 28 * 28);
  idx_prefix(src / "train-labels-idx1-ubyte.gz", data / "train-labels-idx1-ubyte", 512, 8, 1);
  // The first 2000 images of the test set: four passes over all 10000 would take minutes on 2 cores.
  idx_prefix(src / "t10k-images-idx3-ubyte.gz", data / "t10k-images-idx3-ubyte", 2000, 16, 28 * 28);
  idx_prefix(src / "t10k-labels-idx1-ubyte.gz", data / "t10k-labels-idx1-ubyte", 2000, 8, 1);
  const std::string small =
      " --opts MODEL.FOCAL.EMBED_DIM 16 MODEL.FOCAL.NUM_HEADS '[1, 2]' DATA.BATCH_SIZE 64 DATA.NUM_WORKERS 2"
      " TRAIN.EMA.DECAY 0.9";
  const std::string cfg = sq(source_dir() / "configs" / "fmnist_focal_tiny.yaml");
  const auto train = run_tool(
      "focal-train",
      "--cfg " + cfg + " --data-path " + sq(data) + " --output " + sq(dir / "out") + " --epochs 1" + small,
      dir / "train.txt");
  INFO(train.output);
  REQUIRE(train.status == 0);
  const fs::path run = dir / "out" / "fmnist_focal_tiny" / "default";
  const std::string log = read_text(run / "log.txt");
  const auto model_acc1 = logged(log, "* model:", "acc@1 "), model_acc5 = logged(log, "* model:", "acc@5 ");
  const auto model_loss = logged(log, "* model:", "loss "), ema_acc1 = logged(log, "* EMA:", "acc@1 ");
  const auto ema_loss = logged(log, "* EMA:", "loss ");
  REQUIRE(!model_acc1.empty());
  REQUIRE(!ema_loss.empty());
  // Two different sets of weights, so that evaluating the wrong one is seen.
  REQUIRE(ema_loss != model_loss);

  const auto eval =
      run_tool("focal-eval",
               "--cfg " + cfg + " --checkpoint " + sq(run / "ckpt_epoch_0.pth") + " --data-path " + sq(data) +
                   " --results-file " + sq(dir / "model.csv") + small,
               dir / "eval.txt");
  INFO(eval.output);
  REQUIRE(eval.status == 0);
  const auto ema =
      run_tool("focal-eval",
               "--cfg " + cfg + " --checkpoint " + sq(run / "ckpt_epoch_0.pth") + " --data-path " + sq(data) +
                   " --ema --results-file " + sq(dir / "ema.csv") + small,
               dir / "ema.txt");
  INFO(ema.output);
  REQUIRE(ema.status == 0);
  const auto m = read_csv(dir / "model.csv", nullptr), e = read_csv(dir / "ema.csv", nullptr);
  REQUIRE(m.size() == 1);
  REQUIRE(e.size() == 1);
  CHECK(m[0].at("images") == "2000");
  CHECK(rounded(std::stod(m[0].at("top1")), 3) == model_acc1);
  CHECK(rounded(std::stod(m[0].at("top5")), 3) == model_acc5);
  CHECK(rounded(std::stod(m[0].at("loss")), 4) == model_loss);
  CHECK(rounded(std::stod(e[0].at("top1")), 3) == ema_acc1);
  CHECK(rounded(std::stod(e[0].at("loss")), 4) == ema_loss);
  // The run's metrics.csv has the same top-1 to its 10 significant digits.
  std::vector<std::string> header;
  const auto metrics = read_csv(run / "metrics.csv", &header);
  REQUIRE(metrics.size() == 1);
  CHECK(std::stod(metrics[0].at("val_acc1")) == Approx(std::stod(m[0].at("top1"))).margin(5e-5));
}

TEST_CASE("focal-eval predictions on photographs equal the model on Pillow + torchvision tensors",
          "[eval][focal_eval][python][fixtures][bench]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures absent: " + focal::test::fixtures_dir().string());
  if (!have_bench()) FOCAL_SKIP_MISSING("bench corpus absent: " + focal::test::bench_dir().string());
  const auto py = focal::test::reference_python("torch, torchvision, PIL");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch, torchvision and Pillow");
  const auto dir = focal::test::temp_dir("focal_eval_photos");
  const fs::path root = photo_folder(dir, 3, /*corrupt=*/true);  // 30 photographs and 1 corrupt file

  const auto eval =
      run_tool("focal-eval",
               "--cfg " + sq(kMicroCfg) + " --checkpoint " + sq(fixture("focal_micro_224.pth")) +
                   " --data-path " + sq(root) + " --predictions " + sq(dir / "pred.csv") +
                   " --results-file " + sq(dir / "results.json") + " --batch-size 7",
               dir / "eval.txt");
  INFO(eval.output);
  REQUIRE(eval.status == 0);
  // The corrupt file is named, skipped and counted; the run goes on.
  CHECK_THAT(eval.output,
             Catch::Contains("zz_corrupt.jpg") && Catch::Contains("1 unreadable image(s) skipped"));

  const fs::path script = source_dir() / "tests" / "eval" / "eval_reference.py";
  REQUIRE(focal::test::run_command(sq(*py) + " " + sq(script) + " preprocess " + sq(root / "val") + " 224 " +
                                   sq(dir / "ref.pth") + " " + sq(dir / "ref_paths.txt") + " 2>" +
                                   sq(dir / "ref_log.txt")) == 0);
  std::vector<std::string> paths;
  {
    std::istringstream lines(read_text(dir / "ref_paths.txt"));
    for (std::string line; std::getline(lines, line);) paths.push_back(line);
  }
  REQUIRE(paths.size() == 30);  // Pillow cannot read the corrupt file either
  torch::Tensor images, labels;
  for (const auto& [name, t] : focal::io::read_state_dict((dir / "ref.pth").string())) {
    if (name == "images") images = t;
    if (name == "labels") labels = t;
  }
  REQUIRE(images.defined());
  REQUIRE(images.sizes() == torch::IntArrayRef({30, 3, 224, 224}));

  // Our model with the same weights on the Python tensors.
  auto config = focal::Config::from_file(kMicroCfg.string());
  auto model = focal::create_model_from_config(config);
  focal::io::load_state_dict(*model, focal::io::read_state_dict(fixture("focal_micro_224.pth")), true,
                             "fixture");
  model->eval();
  torch::NoGradGuard no_grad;
  const auto probs = torch::softmax(model->forward(images), 1);  // (30, 10)
  const auto best = probs.topk(5, 1, true, true);

  std::vector<std::string> header;
  const auto rows = read_csv(dir / "pred.csv", &header);
  CHECK(header == std::vector<std::string>{"path", "label", "top1", "top2", "top3", "top4", "top5", "prob1",
                                           "prob2", "prob3", "prob4", "prob5"});
  REQUIRE(rows.size() == paths.size());
  double worst = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    INFO("row " << i << ": " << rows[i].at("path"));
    CHECK(rows[i].at("path") == paths[i]);
    CHECK(std::stoll(rows[i].at("label")) == labels[static_cast<int64_t>(i)].item<int64_t>());
    for (int64_t k = 0; k < 5; ++k) {
      CHECK(std::stoll(rows[i].at("top" + std::to_string(k + 1))) ==
            std::get<1>(best)[static_cast<int64_t>(i)][k].item<int64_t>());
      const double diff = std::abs(std::stod(rows[i].at("prob" + std::to_string(k + 1))) -
                                   std::get<0>(best)[static_cast<int64_t>(i)][k].item<double>());
      worst = std::max(worst, diff);
    }
  }
  WARN("largest probability difference to the Pillow + torchvision reference: " << worst);
  CHECK(worst <= 1e-4);

  // The results file: JSON that Python's json module reads, with timm's columns and ours.
  const std::string check =
      "import json, sys; rows = json.load(open(sys.argv[1])); r = rows[0]; "
      "cols = ['model', 'checkpoint', 'top1', 'top1_err', 'top5', 'top5_err', 'loss', 'images', 'skipped', "
      "'param_count', 'params', 'infer_gmacs', 'eval_samples_per_sec', 'crop_pct', 'interpolation', "
      "'img_size']; "
      "missing = [c for c in cols if c not in r]; "
      "ok = len(rows) == 1 and not missing and r['images'] == 30 and r['skipped'] == 1 and "
      "r['img_size'] == 224 and r['interpolation'] == 'bicubic' and abs(r['crop_pct'] - 0.875) < 1e-9 and "
      "r['params'] == 672798; "
      "print(missing, r); sys.exit(0 if ok else 1)";
  CHECK(focal::test::run_command(sq(*py) + " -c \"" + check + "\" " + sq(dir / "results.json")) == 0);
}

TEST_CASE("focal-eval loads every checkpoint layout, --ema takes the EMA entry, CSV results have the columns",
          "[eval][focal_eval][python][fixtures][bench]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures absent: " + focal::test::fixtures_dir().string());
  if (!have_bench()) FOCAL_SKIP_MISSING("bench corpus absent: " + focal::test::bench_dir().string());
  const auto py = focal::test::reference_python("torch");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch to write the timm-style layouts");
  const auto dir = focal::test::temp_dir("focal_eval_layouts");
  const fs::path root = photo_folder(dir, 1, /*corrupt=*/false);
  // timm-style files of the fixture weights (tests/train/resume_reference.py): 'state_dict' with 'module.',
  // EMA only, and the fixture's weights with the one-step-later weights as EMA.
  const fs::path script = source_dir() / "tests" / "train" / "resume_reference.py";
  REQUIRE(focal::test::run_command(sq(*py) + " " + sq(script) + " layouts " +
                                   sq(focal::test::fixtures_dir()) + " " + sq(dir)) == 0);
  const std::vector<std::string> files = {fixture("focal_micro_224.pth"),
                                          fixture("focal_micro_224.legacy.pth"),
                                          fixture("focal_micro_224.train_ckpt.pth"),
                                          fixture("focal_micro_224.train_ckpt_groups.pth"),
                                          (dir / "timm_module.pth").string(),
                                          (dir / "ema_only.pth").string(),
                                          (dir / "with_ema.pth").string()};
  std::string list;
  for (const auto& f : files) list += " " + sq(f);
  const auto all = run_tool("focal-eval",
                            "--cfg " + sq(kMicroCfg) + " --checkpoint" + list + " --data-path " + sq(root) +
                                " --results-file " + sq(dir / "all.csv") + " --limit 6",
                            dir / "all.txt");
  INFO(all.output);
  REQUIRE(all.status == 0);
  std::vector<std::string> header;
  const auto rows = read_csv(dir / "all.csv", &header);
  for (const char* column :
       {"model", "checkpoint", "top1", "top1_err", "top5", "top5_err", "loss", "images", "param_count",
        "infer_gmacs", "eval_samples_per_sec", "crop_pct", "interpolation", "img_size"}) {
    CHECK(std::find(header.begin(), header.end(), column) != header.end());
  }
  REQUIRE(rows.size() == files.size());
  for (const auto& r : rows) CHECK(r.at("images") == "6");  // --limit 6
  const std::string zip = rows[0].at("loss");
  CHECK(rows[1].at("loss") == zip);  // legacy bare state dict
  const std::string later = rows[2].at("loss");
  CHECK(later != zip);               // one AdamW step later
  CHECK(rows[3].at("loss") != zip);  // three steps later
  CHECK(rows[4].at("loss") == zip);  // timm 'state_dict' with 'module.'
  CHECK(rows[5].at("loss") == zip);  // EMA entry only
  CHECK(rows[6].at("loss") == zip);  // model entry of a file that also has an EMA entry

  // --ema: the EMA entry (the later weights), and a clear error for a file without one.
  const auto ema =
      run_tool("focal-eval",
               "--cfg " + sq(kMicroCfg) + " --checkpoint " + sq(dir / "with_ema.pth") +
                   " --ema --data-path " + sq(root) + " --results-file " + sq(dir / "ema.csv") + " --limit 6",
               dir / "ema.txt");
  INFO(ema.output);
  REQUIRE(ema.status == 0);
  CHECK(read_csv(dir / "ema.csv", nullptr).at(0).at("loss") == later);
  const auto none =
      run_tool("focal-eval",
               "--cfg " + sq(kMicroCfg) + " --checkpoint " + sq(fixture("focal_micro_224.pth")) +
                   " --ema --data-path " + sq(root) + " --limit 2",
               dir / "none.txt");
  CHECK(none.status != 0);
  CHECK_THAT(none.output, Catch::Contains("focal_micro_224.pth") && Catch::Contains("no EMA weights"));
}

TEST_CASE("focal-eval --class-map renumbers the folders, --throughput gives images/s, bad options are named",
          "[eval][focal_eval][fixtures][bench]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures absent: " + focal::test::fixtures_dir().string());
  if (!have_bench()) FOCAL_SKIP_MISSING("bench corpus absent: " + focal::test::bench_dir().string());
  const auto dir = focal::test::temp_dir("focal_eval_options");
  const fs::path root = photo_folder(dir, 1, /*corrupt=*/false);
  // The class names in reverse order: folder c0 becomes class 9, c9 class 0.
  {
    std::ofstream map(dir / "classes.txt");
    for (int c = 9; c >= 0; --c) map << "c" << c << "\n";
  }
  const std::string base = "--cfg " + sq(kMicroCfg) + " --checkpoint " + sq(fixture("focal_micro_224.pth")) +
                           " --data-path " + sq(root);
  REQUIRE(
      run_tool("focal-eval", base + " --predictions " + sq(dir / "plain.csv"), dir / "plain.txt").status ==
      0);
  const auto mapped =
      run_tool("focal-eval",
               base + " --class-map " + sq(dir / "classes.txt") + " --predictions " + sq(dir / "mapped.csv") +
                   " --topk 3 --throughput --throughput-batch 2 "
                   "--results-file " +
                   sq(dir / "r.csv"),
               dir / "mapped.txt");
  INFO(mapped.output);
  REQUIRE(mapped.status == 0);
  std::vector<std::string> header;
  const auto plain = read_csv(dir / "plain.csv", nullptr), remapped = read_csv(dir / "mapped.csv", &header);
  CHECK(header ==
        std::vector<std::string>{"path", "label", "top1", "top2", "top3", "prob1", "prob2", "prob3"});
  REQUIRE(plain.size() == 10);
  REQUIRE(remapped.size() == 10);
  for (size_t i = 0; i < plain.size(); ++i) {
    CHECK(std::stoll(remapped[i].at("label")) == 9 - std::stoll(plain[i].at("label")));
    CHECK(remapped[i].at("top1") == plain[i].at("top1"));  // the model's outputs do not change
    CHECK(remapped[i].at("prob1") == plain[i].at("prob1"));
  }
  const auto r = read_csv(dir / "r.csv", nullptr);
  REQUIRE(r.size() == 1);
  CHECK(std::stod(r[0].at("infer_samples_per_sec")) > 0);
  CHECK(r[0].at("infer_batch_size") == "2");

  // A class folder missing from the map, and an unknown option, are named.
  {
    std::ofstream map(dir / "short.txt");
    map << "c0\nc1\n";
  }
  const auto bad = run_tool("focal-eval", base + " --class-map " + sq(dir / "short.txt"), dir / "bad.txt");
  CHECK(bad.status != 0);
  CHECK_THAT(bad.output, Catch::Contains("short.txt") && Catch::Contains("'c2' is not in the map"));
  const auto unknown = run_tool("focal-eval", base + " --top-k 3", dir / "unknown.txt");
  CHECK(unknown.status != 0);
  CHECK_THAT(unknown.output, Catch::Contains("unknown option '--top-k'"));
}

TEST_CASE("focal-eval on two processes evaluates every image once: the rows and figures of one process",
          "[eval][focal_eval][dist][fixtures][bench]") {
  if (!focal::test::have_fixtures())
    FOCAL_SKIP_MISSING("fixtures absent: " + focal::test::fixtures_dir().string());
  if (!have_bench()) FOCAL_SKIP_MISSING("bench corpus absent: " + focal::test::bench_dir().string());
  const auto dir = focal::test::temp_dir("focal_eval_dist");
  // 30 photographs and 1 corrupt file (fewer photographs would pass DATA.MAX_UNREADABLE_SHARE, 5 %); batch
  // 4: the ranks' exact shares of 16 and 15 files end with partial batches.
  const fs::path root = photo_folder(dir, 3, /*corrupt=*/true);
  const std::string args = "--cfg " + sq(kMicroCfg) + " --checkpoint " + sq(fixture("focal_micro_224.pth")) +
                           " --data-path " + sq(root) + " --batch-size 4 --workers 1";
  REQUIRE(
      run_tool("focal-eval",
               args + " --predictions " + sq(dir / "one.csv") + " --results-file " + sq(dir / "one_r.csv"),
               dir / "one.txt")
          .status == 0);
  std::string launch = "cd " + sq(dir) + " && ";
  for (int r = 0; r < 2; ++r) {
    launch += "RANK=" + std::to_string(r) + " LOCAL_RANK=" + std::to_string(r) +
              " WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 OMP_NUM_THREADS=1 FOCAL_DIST_INIT_METHOD=file://" +
              (dir / "store").string() + " " + sq(tool_dir() / "focal-eval") + " " + args +
              " --predictions " + sq(dir / "two.csv") + " --results-file " + sq(dir / "two_r.csv") + " > " +
              sq(dir / ("rank" + std::to_string(r) + ".txt")) + " 2>&1 & p" + std::to_string(r) + "=$!; ";
  }
  launch += "wait $p0 && wait $p1";
  const int status = focal::test::run_command("bash -c '" + launch + "'");
  INFO(read_text(dir / "rank0.txt") << read_text(dir / "rank1.txt"));
  REQUIRE(status == 0);
  const auto one = read_csv(dir / "one.csv", nullptr), two = read_csv(dir / "two.csv", nullptr);
  REQUIRE(one.size() == 30);
  REQUIRE(two.size() == one.size());
  for (size_t i = 0; i < one.size(); ++i) {
    INFO("row " << i);
    CHECK(two[i].at("path") == one[i].at("path"));
    CHECK(two[i].at("label") == one[i].at("label"));
    for (int k = 1; k <= 5; ++k) {
      CHECK(two[i].at("top" + std::to_string(k)) == one[i].at("top" + std::to_string(k)));
      // Other thread counts and batch shapes: float rounding only.
      CHECK(std::stod(two[i].at("prob" + std::to_string(k))) ==
            Approx(std::stod(one[i].at("prob" + std::to_string(k)))).margin(1e-6));
    }
  }
  const auto r1 = read_csv(dir / "one_r.csv", nullptr), r2 = read_csv(dir / "two_r.csv", nullptr);
  REQUIRE(r1.size() == 1);
  REQUIRE(r2.size() == 1);
  CHECK(r2[0].at("images") == "30");
  CHECK(r2[0].at("skipped") == "1");
  CHECK(r2[0].at("top1") == r1[0].at("top1"));
  CHECK(r2[0].at("top5") == r1[0].at("top5"));
  CHECK(std::stod(r2[0].at("loss")) == Approx(std::stod(r1[0].at("loss"))).margin(1e-5));
}
