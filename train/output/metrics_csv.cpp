#include "train/output/metrics_csv.h"

#include "train/checkpoint/atomic_file.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace focal::train {

namespace {

std::string format_value(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

double parse_value(const std::string& s, const std::filesystem::path& path, size_t line) {
  if (s.empty()) return EpochRecord::kNone;
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw std::runtime_error(path.string() + ":" + std::to_string(line) + ": '" + s + "' is not a number");
  }
}

// Each column with its accessor, so that writing and reading cannot drift apart.
struct Column {
  const char* name;
  double EpochRecord::*field;
};

const std::vector<Column>& value_columns() {
  static const std::vector<Column> columns = {
      {"lr", &EpochRecord::lr},
      {"train_loss", &EpochRecord::train_loss},
      {"grad_norm", &EpochRecord::grad_norm},
      {"val_loss", &EpochRecord::val_loss},
      {"val_acc1", &EpochRecord::val_acc1},
      {"val_acc5", &EpochRecord::val_acc5},
      {"ema_val_loss", &EpochRecord::ema_val_loss},
      {"ema_val_acc1", &EpochRecord::ema_val_acc1},
      {"ema_val_acc5", &EpochRecord::ema_val_acc5},
      {"max_acc1", &EpochRecord::max_acc1},
      {"epoch_time_s", &EpochRecord::epoch_seconds},
      {"images_per_s", &EpochRecord::images_per_second},
      {"unreadable_files", &EpochRecord::unreadable_files},
  };
  return columns;
}

}  // namespace

const std::vector<std::string>& metrics_csv_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"epoch", "step"};
    for (const auto& c : value_columns()) n.push_back(c.name);
    return n;
  }();
  return names;
}

void write_metrics_csv(const std::filesystem::path& path, const std::vector<EpochRecord>& records) {
  std::ostringstream out;
  const auto& names = metrics_csv_columns();
  for (size_t i = 0; i < names.size(); ++i) out << (i ? "," : "") << names[i];
  out << "\n";
  for (const auto& r : records) {
    out << r.epoch << "," << r.step;
    for (const auto& c : value_columns()) out << "," << format_value(r.*(c.field));
    out << "\n";
  }
  write_file_atomically(path, out.str());
}

std::vector<EpochRecord> read_metrics_csv(const std::filesystem::path& path) {
  std::vector<EpochRecord> records;
  if (!std::filesystem::exists(path)) return records;
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot be opened for reading");
  std::string line;
  size_t line_no = 0;
  const auto& names = metrics_csv_columns();
  size_t columns = names.size();  // a file of an earlier version lacks the columns added since, at the end
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    if (line_no == 1) {
      const bool prefix = cells.size() > 2 && cells.size() <= names.size() &&
                          std::equal(cells.begin(), cells.end(), names.begin());
      if (!prefix) throw std::runtime_error(path.string() + ": unexpected header '" + line + "'");
      columns = cells.size();
      continue;
    }
    if (cells.size() != columns) {
      throw std::runtime_error(path.string() + ":" + std::to_string(line_no) + ": expected " +
                               std::to_string(columns) + " columns, found " + std::to_string(cells.size()));
    }
    EpochRecord r;
    r.epoch = static_cast<int64_t>(parse_value(cells[0], path, line_no));
    r.step = static_cast<int64_t>(parse_value(cells[1], path, line_no));
    const auto& cols = value_columns();
    for (size_t i = 0; i + 2 < columns; ++i) r.*(cols[i].field) = parse_value(cells[i + 2], path, line_no);
    records.push_back(r);
  }
  return records;
}

}  // namespace focal::train
