#pragma once
// focal-tables' tables: each published row beside what we compute for its configuration (parameters and MACs
// from the model zoo's counter, which equals the original implementation's flops()), the differences stated
// in words, and the measured accuracy and throughput taken from focal-eval results files. Nothing is
// adjusted: a computed value that differs from the published one is shown as it is.
#include "eval/evaluator/results_file.h"
#include "eval/tables/published_tables.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace focal::eval {

struct ReportRow {
  PublishedRow published;
  std::string model_name;               // MODEL.NAME of the config (empty when it could not be read)
  std::optional<int64_t> params, macs;  // computed
  std::string unavailable;              // why nothing was computed (missing config, model type not built)
  std::optional<double> top1, top5;     // measured (focal-eval results)
  std::optional<int64_t> images;        // images behind the measured accuracy
  std::optional<double> throughput;     // measured (focal-eval --throughput)
  std::vector<std::string> notes;       // differences and caveats, in words
};

struct TableReport {
  PublishedTable table;
  std::vector<ReportRow> rows;
};

// `repo_root` resolves the rows' config paths; `results` are focal-eval rows, matched by model name.
std::vector<TableReport> build_reports(const std::vector<PublishedTable>& tables,
                                       const std::filesystem::path& repo_root,
                                       const std::vector<ResultRow>& results);

std::string render_markdown(const std::vector<TableReport>& reports);
// One line per row of every table (table id first), the same columns.
std::string render_csv(const std::vector<TableReport>& reports);

}  // namespace focal::eval
