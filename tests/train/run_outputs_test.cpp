// The files a run leaves for people: metrics.csv, TensorBoard event files (read back by TensorBoard's own
// reader), and the PNG plot.
#include "focal/io/atomic_write.h"
#include "tests/support/test_env.h"
#include "train/output/crc32c.h"
#include "train/output/metrics_csv.h"
#include "train/output/tensorboard_writer.h"
#include "train/output/training_plot.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

using namespace focal::train;

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<EpochRecord> sample_records(bool with_ema) {
  std::vector<EpochRecord> rs;
  for (int e = 0; e < 4; ++e) {
    EpochRecord r;
    r.epoch = e;
    r.step = 10 * (e + 1);
    r.lr = 1e-3 * (4 - e);
    r.train_loss = 2.0 / (e + 1);
    r.grad_norm = 1.5;
    r.val_loss = 1.8 / (e + 1);
    r.val_acc1 = 20.0 * (e + 1);
    r.val_acc5 = 90.0;
    if (with_ema) r.ema_val_acc1 = 18.0 * (e + 1);
    r.max_acc1 = 20.0 * (e + 1);
    r.epoch_seconds = 3.25;
    rs.push_back(r);
  }
  return rs;
}

}  // namespace

TEST_CASE("crc32c matches the standard check value", "[train][tensorboard]") {
  // CRC-32C of "123456789" is 0xE3069283 (RFC 3720 / iSCSI check value).
  const std::string s = "123456789";
  CHECK(crc32c(s.data(), s.size()) == 0xE3069283u);
  const std::string empty;
  CHECK(crc32c(empty.data(), 0) == 0u);
}

TEST_CASE("metrics.csv has a header and a row per epoch, and reads back", "[train][csv]") {
  auto dir = focal::test::temp_dir("csv");
  auto path = dir / "metrics.csv";
  auto records = sample_records(false);
  write_metrics_csv(path, records);
  auto text = read_text(path);
  std::istringstream lines(text);
  std::string header, row0;
  std::getline(lines, header);
  std::getline(lines, row0);
  CHECK(
      header ==
      "epoch,step,lr,train_loss,grad_norm,val_loss,val_acc1,val_acc5,ema_val_loss,ema_val_acc1,ema_val_acc5,"
      "max_acc1,epoch_time_s,images_per_s,unreadable_files");
  // Epoch 0: lr 4e-3, loss 2, grad norm 1.5, val loss 1.8, top-1 20, top-5 90, no EMA, max 20, 3.25 s.
  CHECK(row0 == "0,10,0.004,2,1.5,1.8,20,90,,,,20,3.25,,");
  size_t rows = 0;
  for (std::string l; std::getline(lines, l);) rows += !l.empty();
  CHECK(rows == 3);
  CHECK_FALSE(std::filesystem::exists(focal::io::temporary_sibling(path)));

  auto back = read_metrics_csv(path);
  REQUIRE(back.size() == 4);
  CHECK(back[2].epoch == 2);
  CHECK(back[2].step == 30);
  CHECK(back[2].lr == Approx(2e-3));
  CHECK(back[3].val_acc1 == Approx(80.0));
  CHECK(std::isnan(back[1].ema_val_acc1));

  std::ofstream(dir / "bad.csv") << header << "\n1,2,x\n";
  CHECK_THROWS_WITH(read_metrics_csv(dir / "bad.csv"), Catch::Contains("bad.csv:2"));
  CHECK(read_metrics_csv(dir / "absent.csv").empty());
}

namespace {

void write_sample_events(const std::filesystem::path& dir) {
  TensorBoardWriter tb(dir);
  for (int step = 0; step < 5; ++step) {
    tb.add_scalar("train/loss", 2.5 - 0.5 * step, step);
    tb.add_scalar("train/lr", 1e-4 * (step + 1), step);
  }
  tb.add_scalar("val/acc1", 87.25, 4);
  tb.flush();
}

}  // namespace

TEST_CASE("TensorBoard event file framing: length-prefixed records with masked CRCs",
          "[train][tensorboard]") {
  auto dir = focal::test::temp_dir("tb_framing");
  write_sample_events(dir);
  // The first record is the file_version event, length-prefixed with valid CRCs.
  std::ifstream in(std::filesystem::directory_iterator(dir)->path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 12);
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  uint32_t len_crc = 0;
  std::memcpy(&len_crc, bytes.data() + 8, 4);
  CHECK(len_crc == masked_crc32c(bytes.data(), 8));
  CHECK(bytes.substr(12, len).find("brain.Event:2") != std::string::npos);
}

TEST_CASE("TensorBoard event file opens in TensorBoard's EventAccumulator", "[train][tensorboard][python]") {
  auto py = focal::test::reference_python("tensorboard");
  if (!py) FOCAL_SKIP_MISSING("no Python with tensorboard");
  auto dir = focal::test::temp_dir("tb");
  write_sample_events(dir);
  auto script = dir / "read.py";
  std::ofstream(script)
      << "import sys\n"
         "from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n"
         "ea = EventAccumulator(sys.argv[1]); ea.Reload()\n"
         "print(sorted(ea.Tags()['scalars']))\n"
         "for e in ea.Scalars('train/loss'): print(e.step, e.value)\n"
         "print(ea.Scalars('val/acc1')[0].step, ea.Scalars('val/acc1')[0].value)\n"
         "print(len(ea.Scalars('train/lr')))\n";
  auto out = dir / "out.txt";
  REQUIRE(focal::test::run_command("\"" + *py + "\" " + script.string() + " " + dir.string() + " > " +
                                   out.string() + " 2>" + (dir / "err.txt").string()) == 0);
  auto text = read_text(out);
  CHECK(text ==
        "['train/loss', 'train/lr', 'val/acc1']\n"
        "0 2.5\n1 2.0\n2 1.5\n3 1.0\n4 0.5\n"
        "4 87.25\n"
        "5\n");
}

TEST_CASE("training curves plot is a PNG with three panels", "[train][plot]") {
  auto dir = focal::test::temp_dir("plot");
  auto path = dir / "curves.png";
  plot_training_curves(sample_records(true), path, PlotOptions{300, 200});
  auto img = cv::imread(path.string(), cv::IMREAD_COLOR);
  REQUIRE_FALSE(img.empty());
  CHECK(img.cols == 900);
  CHECK(img.rows == 200);
  // Each panel has drawn content (axes, curves): not a blank white canvas.
  for (int p = 0; p < 3; ++p) {
    cv::Mat panel = img(cv::Rect(300 * p, 0, 300, 200));
    cv::Mat gray;
    cv::cvtColor(panel, gray, cv::COLOR_BGR2GRAY);
    INFO("panel " << p);
    CHECK(cv::countNonZero(gray < 128) > 200);
  }
  // A single epoch still plots (degenerate axis ranges are widened).
  auto one = sample_records(false);
  one.resize(1);
  plot_training_curves(one, dir / "one.png");
  CHECK(std::filesystem::exists(dir / "one.png"));
  CHECK_THROWS(plot_training_curves({}, dir / "none.png"));
}
