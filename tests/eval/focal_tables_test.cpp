// focal-tables as a user runs it: every table of eval/tables/published_tables.yaml is printed, the computed
// params and MACs of each row equal focal-info's for its config, measured columns come from focal-eval
// results files (CSV and JSON), rows whose config or model type is missing say so, and the plot is a valid
// PNG.
#include "tests/eval/eval_test_util.h"
#include "tests/support/test_env.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace {

namespace fs = std::filesystem;

using namespace focal::test;  // read_text, sq, source_dir, tool_dir

// A CSV line split at commas outside double quotes ("" inside quotes is a quote).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      out.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("focal-tables prints every table, params/MACs equal focal-info, results fill the measured columns",
          "[eval][focal_tables]") {
  const auto dir = focal::test::temp_dir("focal_tables");
  // Results as focal-eval writes them, one CSV and one JSON file, for two rows of the README table.
  {
    std::ofstream csv(dir / "r.csv");
    csv << "model,checkpoint,top1,top1_err,top5,top5_err,loss,images,skipped,param_count,params,infer_gmacs,"
           "eval_samples_per_sec,infer_samples_per_sec,infer_batch_size,crop_pct,interpolation,img_size\n"
        << "focal_tiny_patch4_window7_224,focal-tiny.pth,81.9876,18.0124,95.7,4.3,0.8,50000,0,28.88,28880380,"
           "4.924,"
           "30.5,12.25,64,0.875,bicubic,224\n";
    std::ofstream json(dir / "r.json");
    json << "[\n {\"model\": \"focal_small_patch4_window7_224\", \"checkpoint\": \"s.pth\", \"top1\": "
            "83.1234, "
            "\"top5\": 96.0, \"images\": 1000, \"param_count\": 51.14, \"infer_samples_per_sec\": null}\n]\n";
  }
  const auto out = dir / "tables.md";
  REQUIRE(focal::test::run_command(sq(tool_dir() / "focal-tables") + " --results " + sq(dir / "r.csv") + " " +
                                   sq(dir / "r.json") + " --csv " + sq(dir / "tables.csv") + " --plot " +
                                   sq(dir / "plot.png") + " > " + sq(out) + " 2> " + sq(dir / "err.txt")) ==
          0);
  const std::string md = read_text(out);
  INFO(md);

  // Every table of the data file, by its title.
  const std::string data = read_text(source_dir() / "eval" / "tables" / "published_tables.yaml");
  std::istringstream data_lines(data);
  int tables = 0, rows = 0;
  for (std::string line; std::getline(data_lines, line);) {
    const auto t = line.find("title: \"");
    if (t != std::string::npos) {
      const auto title = line.substr(t + 8, line.rfind('"') - t - 8);
      CHECK_THAT(md, Catch::Contains("### " + title));
      ++tables;
    }
    if (line.find("- {label:") != std::string::npos) ++rows;
  }
  CHECK(tables >= 6);  // README ImageNet-1K and fast tables, paper Tables 2, 8, 9, 10

  // The CSV: one line per row; computed params/MACs equal focal-info's for the same config.
  std::istringstream csv(read_text(dir / "tables.csv"));
  std::string line;
  REQUIRE(std::getline(csv, line));
  const auto header = split_csv(line);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* c :
       {"table", "Model", "Config", "Top-1 measured", "img/s measured", "Notes", "params", "macs"}) {
    REQUIRE(col.count(c));
  }
  std::vector<std::vector<std::string>> lines;
  while (std::getline(csv, line)) lines.push_back(split_csv(line));
  CHECK(static_cast<int>(lines.size()) == rows);
  std::set<std::string> configs;
  int computed = 0;
  for (const auto& l : lines) {
    REQUIRE(l.size() == header.size());
    if (!l[col["params"]].empty()) {
      configs.insert(l[col["Config"]]);
      ++computed;
    } else {
      // A row without computed values says why.
      CHECK_THAT(l[col["Notes"]], Catch::Contains("does not exist") || Catch::Contains("not computed"));
    }
  }
  CHECK(computed >= 10);  // at least the README table, Table 2 and the Focal ablation rows
  // One focal-info call for every config: its JSON list is in --cfg order.
  std::string args;
  for (const auto& config : configs) args += " " + sq(source_dir() / config);
  const auto info = dir / "info.json";
  REQUIRE(focal::test::run_command(sq(tool_dir() / "focal-info") + " --json --cfg" + args + " > " +
                                   sq(info)) == 0);
  std::vector<std::string> objects;
  {
    const std::string json = read_text(info);
    for (size_t at = json.find('{'); at != std::string::npos; at = json.find('{', at + 1)) {
      objects.push_back(json.substr(at, json.find('}', at) - at + 1));
    }
  }
  REQUIRE(objects.size() == configs.size());
  size_t index = 0;
  for (const auto& config : configs) {
    INFO(config << ": " << objects[index]);
    for (const auto& l : lines) {
      if (l[col["Config"]] != config) continue;
      CHECK_THAT(objects[index], Catch::Contains("\"params\": " + l[col["params"]] + ",") &&
                                     Catch::Contains("\"macs\": " + l[col["macs"]] + ","));
    }
    ++index;
  }
  // Measured columns from both results files, matched by MODEL.NAME; the rest left empty.
  int tiny = 0, small = 0;
  for (const auto& l : lines) {
    if (l[col["Config"]] == "configs/focal_tiny_patch4_window7_224.yaml") {
      CHECK(l[col["Top-1 measured"]] == "81.99");
      CHECK(l[col["img/s measured"]] == "12.2");  // 12.25 to one decimal, as printf rounds it
      ++tiny;
    } else if (l[col["Config"]] == "configs/focal_small_patch4_window7_224.yaml") {
      CHECK(l[col["Top-1 measured"]] == "83.12");
      CHECK_THAT(l[col["Notes"]], Catch::Contains("over 1000 images"));
      ++small;
    } else {
      CHECK(l[col["Top-1 measured"]].empty());
    }
  }
  CHECK(tiny >= 2);
  CHECK(small >= 2);
  // Published and computed differ for Focal-T's params in Table 2 (29.1M published, 28.88M counted): said so.
  CHECK_THAT(md, Catch::Contains("params differ: ours 28.88M, published 29.1M"));

  // The plot: a PNG that decodes.
  const std::string png = read_text(dir / "plot.png");
  REQUIRE(png.size() > 8);
  CHECK(png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)) == 0);
  const cv::Mat image = cv::imread((dir / "plot.png").string());
  CHECK(image.cols > 0);
  CHECK(image.rows > 0);
}

TEST_CASE("focal-tables names a bad results file and an unknown table", "[eval][focal_tables]") {
  const auto dir = focal::test::temp_dir("focal_tables_errors");
  {
    std::ofstream bad(dir / "bad.csv");
    bad << "model,top1\nfocal_tiny_patch4_window7_224,eighty\n";
  }
  const auto log = dir / "log.txt";
  CHECK(focal::test::run_command(sq(tool_dir() / "focal-tables") + " --results " + sq(dir / "bad.csv") +
                                 " > " + sq(log) + " 2>&1") != 0);
  CHECK_THAT(read_text(log), Catch::Contains("bad.csv line 2") && Catch::Contains("top1"));
  CHECK(focal::test::run_command(sq(tool_dir() / "focal-tables") + " --table nope > " + sq(log) + " 2>&1") !=
        0);
  CHECK_THAT(read_text(log), Catch::Contains("--table nope"));
}
