#pragma once
// The results of focal-eval, one row per checkpoint, in the columns of timm's validate.py where the meaning
// is the same (model, top1, top1_err, top5, top5_err, param_count in millions, img_size, crop_pct,
// interpolation) and of timm's benchmark.py for the speed (infer_samples_per_sec, infer_batch_size,
// infer_gmacs), plus ours: checkpoint, loss, images, skipped, params (exact count) and
// eval_samples_per_sec (the whole pass: decoding, preprocessing and model). Written as CSV or JSON (a list of
// objects) by the file's extension, through a temporary file and a rename; read back by focal-tables.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace focal::eval {

struct ResultRow {
  std::string model;
  std::string checkpoint;
  std::optional<double> top1, top5, loss;  // unset when only the throughput was measured
  int64_t images = 0;
  int64_t skipped = 0;
  int64_t params = 0;
  double gmacs = 0;
  std::optional<double> eval_samples_per_sec;
  std::optional<double> infer_samples_per_sec;  // --throughput
  int64_t infer_batch_size = 0;
  double crop_pct = 0.875;
  std::string interpolation;
  int64_t img_size = 0;
};

// The column names, in file order.
const std::vector<std::string>& result_columns();
// The row as column -> text (numbers rounded as timm rounds them: accuracies to 4 decimals, param_count to
// 2), in result_columns() order; unset values are empty.
std::vector<std::pair<std::string, std::string>> result_fields(const ResultRow& row);

// Writes `rows` to `path`: JSON for a .json file, CSV otherwise.
void write_results(const std::filesystem::path& path, const std::vector<ResultRow>& rows);
// Reads a file written by write_results (or by hand with the same columns; the model and top1 columns are
// required, the others optional). Throws naming the file and the line for malformed content.
std::vector<ResultRow> read_results(const std::filesystem::path& path);

// `v` with `decimals` decimals ("%.*f"), as the files write numbers.
std::string fixed_decimals(double v, int decimals);
// One CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);
// The fields of one CSV line (quotes as csv_field writes them).
std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace focal::eval
