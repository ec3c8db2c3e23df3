#include "eval/tables/table_report.h"

#include "focal/config/config.h"
#include "focal/zoo/model_zoo.h"

#include <cstdio>
#include <sstream>

namespace focal::eval {

namespace {

std::string fixed(double v, int decimals) { return fixed_decimals(v, decimals); }

std::string signed_fixed(double v, int decimals) { return (v >= 0 ? "+" : "") + fixed_decimals(v, decimals); }

std::string opt(const std::optional<double>& v, int decimals) {
  return v ? fixed(*v, decimals) : std::string();
}

// Published values carry one decimal: they agree when ours rounds to the same one.
void compare(ReportRow& row, const std::string& what, const std::string& unit,
             const std::optional<double>& published, double ours) {
  if (!published) return;
  const double diff = ours - *published;
  if (fixed(ours, 1) != fixed(*published, 1)) {
    row.notes.push_back(what + " differ: ours " + fixed(ours, 2) + unit + ", published " +
                        fixed(*published, 1) + unit + " (" + signed_fixed(diff, 2) + unit + ")");
  }
}

struct Column {
  std::string name;
  std::string (*get)(const ReportRow&);
};

const std::vector<Column>& columns() {
  static const std::vector<Column> c = {
      {"Model", [](const ReportRow& r) { return r.published.label; }},
      {"Config", [](const ReportRow& r) { return r.published.config; }},
      {"Params (M) published", [](const ReportRow& r) { return opt(r.published.value("params_m"), 1); }},
      {"Params (M) ours",
       [](const ReportRow& r) {
         return r.params ? fixed(static_cast<double>(*r.params) / 1e6, 2) : std::string("n/a");
       }},
      {"GFLOPs published", [](const ReportRow& r) { return opt(r.published.value("gflops"), 1); }},
      {"GMACs ours",
       [](const ReportRow& r) {
         return r.macs ? fixed(static_cast<double>(*r.macs) / 1e9, 2) : std::string("n/a");
       }},
      {"Top-1 published", [](const ReportRow& r) { return opt(r.published.value("top1"), 1); }},
      {"Top-1 measured", [](const ReportRow& r) { return opt(r.top1, 2); }},
      {"Top-5 published", [](const ReportRow& r) { return opt(r.published.value("top5"), 1); }},
      {"Top-5 measured", [](const ReportRow& r) { return opt(r.top5, 2); }},
      {"img/s published", [](const ReportRow& r) { return opt(r.published.value("throughput"), 0); }},
      {"img/s measured", [](const ReportRow& r) { return opt(r.throughput, 1); }},
      {"Notes",
       [](const ReportRow& r) {
         std::string s;
         for (const auto& n : r.notes) s += (s.empty() ? "" : "; ") + n;
         return s;
       }},
  };
  return c;
}

std::string csv_quote(const std::string& s) { return csv_field(s); }

}  // namespace

std::vector<TableReport> build_reports(const std::vector<PublishedTable>& tables,
                                       const std::filesystem::path& repo_root,
                                       const std::vector<ResultRow>& results) {
  std::vector<TableReport> out;
  for (const auto& table : tables) {
    TableReport report{table, {}};
    for (const auto& published : table.rows) {
      ReportRow row;
      row.published = published;
      const auto path = repo_root / published.config;
      if (!std::filesystem::exists(path)) {
        row.unavailable = "config " + published.config + " does not exist in this checkout";
      } else {
        try {
          const auto config = Config::from_file(path.string());
          row.model_name = config.get<std::string>("MODEL.NAME");
          const auto c = model_complexity_from_config(config);
          row.params = c.params;
          row.macs = c.macs;
        } catch (const std::exception& e) {
          row.unavailable = "not computed: " + std::string(e.what());
        }
      }
      if (!row.unavailable.empty()) row.notes.push_back(row.unavailable);
      if (row.params)
        compare(row, "params", "M", published.value("params_m"), static_cast<double>(*row.params) / 1e6);
      if (row.macs)
        compare(row, "FLOPs", "G", published.value("gflops"), static_cast<double>(*row.macs) / 1e9);
      for (const auto& r : results) {
        if (row.model_name.empty() || r.model != row.model_name) continue;
        if (r.top1) {
          row.top1 = r.top1;
          row.top5 = r.top5;
          row.images = r.images;
        }
        if (r.infer_samples_per_sec) row.throughput = r.infer_samples_per_sec;
      }
      if (row.images && *row.images != 50000) {
        row.notes.push_back("measured top-1 over " + std::to_string(*row.images) +
                            " images, not the 50000 of ImageNet-1K val");
      }
      if (row.throughput && published.value("throughput")) {
        row.notes.push_back(
            "img/s measured on this machine, published on a V100: not comparable across machines");
      }
      report.rows.push_back(row);
    }
    out.push_back(report);
  }
  return out;
}

std::string render_markdown(const std::vector<TableReport>& reports) {
  std::ostringstream out;
  for (const auto& report : reports) {
    out << "### " << report.table.title << "\n\n";
    out << "Source: " << report.table.source << ".";
    if (report.table.verified == "transcribed") {
      out << " **Published values transcribed, not re-checked against the paper in this checkout: verify "
             "before "
             "citing.**";
    }
    out << " Published FLOPs are multiply-accumulates; ours are the counter of the configuration.\n\n|";
    for (const auto& c : columns()) out << " " << c.name << " |";
    out << "\n|";
    for (size_t i = 0; i < columns().size(); ++i) out << " --- |";
    out << "\n";
    for (const auto& row : report.rows) {
      out << "|";
      for (const auto& c : columns()) out << " " << c.get(row) << " |";
      out << "\n";
    }
    out << "\n";
  }
  return out.str();
}

std::string render_csv(const std::vector<TableReport>& reports) {
  std::ostringstream out;
  // The exact counts last: the Markdown table rounds them.
  out << "table";
  for (const auto& c : columns()) out << "," << csv_quote(c.name);
  out << ",params,macs\n";
  for (const auto& report : reports) {
    for (const auto& row : report.rows) {
      out << report.table.id;
      for (const auto& c : columns()) out << "," << csv_quote(c.get(row));
      out << "," << (row.params ? std::to_string(*row.params) : "") << ","
          << (row.macs ? std::to_string(*row.macs) : "") << "\n";
    }
  }
  return out.str();
}

}  // namespace focal::eval
