// focal-tables: the paper's and the original README's tables beside our computed parameters and MACs and the
// accuracy and throughput measured by focal-eval (see eval/tables/table_report.h).
#include "eval/arg_parser.h"
#include "eval/tables/accuracy_plot.h"
#include "eval/tables/table_report.h"
#include "train/checkpoint/atomic_file.h"

#include <iostream>

int main(int argc, char** argv) {
  try {
    focal::eval::ArgParser args(
        "focal-tables",
        "Prints the published tables (README ImageNet-1K, paper Tables 2, 8, 9, 10) as Markdown with our\n"
        "computed params/MACs per config and the measured columns of focal-eval results files.");
    args.option("data", "the published values", FOCAL_TABLES_DATA)
        .option("root", "repository root the rows' config paths are relative to", FOCAL_SOURCE_ROOT)
        .multi("results", "focal-eval --results-file outputs (CSV or JSON); rows are matched by MODEL.NAME")
        .multi("table", "only these table ids")
        .option("csv", "also write every row as CSV to this file")
        .option("plot", "also write top-1 against GFLOPs as a PNG to this file");
    if (!args.parse(argc, argv)) return 0;
    auto tables = focal::eval::read_published_tables(args.get("data"));
    const auto only = args.get_all("table");
    if (!only.empty()) {
      std::vector<focal::eval::PublishedTable> kept;
      for (const auto& id : only) {
        bool found = false;
        for (const auto& t : tables) {
          if (t.id == id) kept.push_back(t), found = true;
        }
        if (!found) throw std::invalid_argument("--table " + id + ": no such table in " + args.get("data"));
      }
      tables = kept;
    }
    std::vector<focal::eval::ResultRow> results;
    for (const auto& file : args.get_all("results")) {
      const auto rows = focal::eval::read_results(file);
      results.insert(results.end(), rows.begin(), rows.end());
    }
    const auto reports = focal::eval::build_reports(tables, args.get("root"), results);
    std::cout << focal::eval::render_markdown(reports);
    if (args.has("csv"))
      focal::train::write_file_atomically(args.get("csv"), focal::eval::render_csv(reports));
    if (args.has("plot")) {
      const int n = focal::eval::plot_accuracy_vs_flops(reports, args.get("plot"));
      std::cerr << "focal-tables: " << args.get("plot") << ": " << n << " points\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "focal-tables: " << e.what() << "\n";
    return 2;
  }
}
