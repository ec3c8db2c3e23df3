#include "eval/evaluator/results_file.h"

#include "train/checkpoint/atomic_file.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace focal::eval {

std::string fixed_decimals(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, v);
  return text;
}

namespace {

std::string number(double v, int decimals) { return fixed_decimals(v, decimals); }

std::string optional_number(const std::optional<double>& v, int decimals) {
  return v ? number(*v, decimals) : std::string();
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", c);
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Columns whose JSON value is text (the others are numbers, or null when empty).
bool is_text_column(const std::string& c) {
  return c == "model" || c == "checkpoint" || c == "interpolation";
}

std::optional<double> parse_number(const std::string& text, const std::string& column,
                                   const std::string& where) {
  if (text.empty() || text == "null") return std::nullopt;
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(where + ": column " + column + " holds '" + text + "', not a number");
}

ResultRow row_from_fields(const std::map<std::string, std::string>& f, const std::string& where) {
  auto text = [&](const std::string& c) {
    auto it = f.find(c);
    return it == f.end() ? std::string() : it->second;
  };
  auto num = [&](const std::string& c) { return parse_number(text(c), c, where); };
  if (text("model").empty()) throw std::runtime_error(where + ": no model column (or an empty one)");
  ResultRow r;
  r.model = text("model");
  r.checkpoint = text("checkpoint");
  r.top1 = num("top1");
  r.top5 = num("top5");
  r.loss = num("loss");
  r.images = static_cast<int64_t>(num("images").value_or(0));
  r.skipped = static_cast<int64_t>(num("skipped").value_or(0));
  if (auto p = num("params")) {
    r.params = static_cast<int64_t>(*p);
  } else if (auto pc = num("param_count")) {
    r.params = static_cast<int64_t>(std::llround(*pc * 1e6));
  }
  r.gmacs = num("infer_gmacs").value_or(0);
  r.eval_samples_per_sec = num("eval_samples_per_sec");
  r.infer_samples_per_sec = num("infer_samples_per_sec");
  r.infer_batch_size = static_cast<int64_t>(num("infer_batch_size").value_or(0));
  r.crop_pct = num("crop_pct").value_or(0);
  r.interpolation = text("interpolation");
  r.img_size = static_cast<int64_t>(num("img_size").value_or(0));
  return r;
}

}  // namespace

const std::vector<std::string>& result_columns() {
  static const std::vector<std::string> columns = {"model",
                                                   "checkpoint",
                                                   "top1",
                                                   "top1_err",
                                                   "top5",
                                                   "top5_err",
                                                   "loss",
                                                   "images",
                                                   "skipped",
                                                   "param_count",
                                                   "params",
                                                   "infer_gmacs",
                                                   "eval_samples_per_sec",
                                                   "infer_samples_per_sec",
                                                   "infer_batch_size",
                                                   "crop_pct",
                                                   "interpolation",
                                                   "img_size"};
  return columns;
}

std::vector<std::pair<std::string, std::string>> result_fields(const ResultRow& r) {
  auto err = [](const std::optional<double>& v) {
    return v ? std::optional<double>(100.0 - *v) : std::nullopt;
  };
  return {{"model", r.model},
          {"checkpoint", r.checkpoint},
          {"top1", optional_number(r.top1, 4)},
          {"top1_err", optional_number(err(r.top1), 4)},
          {"top5", optional_number(r.top5, 4)},
          {"top5_err", optional_number(err(r.top5), 4)},
          {"loss", optional_number(r.loss, 6)},
          {"images", std::to_string(r.images)},
          {"skipped", std::to_string(r.skipped)},
          {"param_count", number(static_cast<double>(r.params) / 1e6, 2)},
          {"params", std::to_string(r.params)},
          {"infer_gmacs", number(r.gmacs, 3)},
          {"eval_samples_per_sec", optional_number(r.eval_samples_per_sec, 2)},
          {"infer_samples_per_sec", optional_number(r.infer_samples_per_sec, 2)},
          {"infer_batch_size", r.infer_samples_per_sec ? std::to_string(r.infer_batch_size) : std::string()},
          {"crop_pct", number(r.crop_pct, 4)},
          {"interpolation", r.interpolation},
          {"img_size", std::to_string(r.img_size)}};
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

void write_results(const std::filesystem::path& path, const std::vector<ResultRow>& rows) {
  std::ostringstream out;
  if (path.extension() == ".json") {
    out << "[";
    for (size_t i = 0; i < rows.size(); ++i) {
      out << (i ? ",\n " : "\n ") << "{";
      bool first = true;
      for (const auto& [column, value] : result_fields(rows[i])) {
        out << (first ? "" : ", ") << json_string(column) << ": ";
        if (is_text_column(column)) {
          out << json_string(value);
        } else {
          out << (value.empty() ? "null" : value);
        }
        first = false;
      }
      out << "}";
    }
    out << "\n]\n";
  } else {
    bool first = true;
    for (const auto& c : result_columns()) {
      out << (first ? "" : ",") << c;
      first = false;
    }
    out << "\n";
    for (const auto& r : rows) {
      first = true;
      for (const auto& field : result_fields(r)) {
        out << (first ? "" : ",") << csv_field(field.second);
        first = false;
      }
      out << "\n";
    }
  }
  train::write_file_atomically(path, out.str());
}

std::vector<ResultRow> read_results(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error(path.string() + ": no such results file");
  std::vector<ResultRow> rows;
  if (path.extension() == ".json") {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path.string());
    } catch (const YAML::Exception& e) {
      throw std::runtime_error(path.string() + ": not valid JSON (" + e.what() + ")");
    }
    if (!root.IsSequence())
      throw std::runtime_error(path.string() + ": expected a JSON list of result objects");
    for (size_t i = 0; i < root.size(); ++i) {
      const std::string where = path.string() + " entry " + std::to_string(i);
      if (!root[i].IsMap()) throw std::runtime_error(where + ": not an object");
      std::map<std::string, std::string> fields;
      for (const auto& kv : root[i]) {
        fields[kv.first.as<std::string>()] = kv.second.IsNull() ? std::string() : kv.second.as<std::string>();
      }
      rows.push_back(row_from_fields(fields, where));
    }
    return rows;
  }
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path.string() + ": empty results file");
  const auto header = split_csv_line(line);
  for (int64_t number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    const auto values = split_csv_line(line);
    const std::string where = path.string() + " line " + std::to_string(number);
    if (values.size() != header.size()) {
      throw std::runtime_error(where + ": " + std::to_string(values.size()) + " fields, the header has " +
                               std::to_string(header.size()));
    }
    std::map<std::string, std::string> fields;
    for (size_t i = 0; i < header.size(); ++i) fields[header[i]] = values[i];
    rows.push_back(row_from_fields(fields, where));
  }
  return rows;
}

}  // namespace focal::eval
