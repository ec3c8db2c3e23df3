#include "eval/tables/accuracy_plot.h"

#include "train/checkpoint/atomic_file.h"
#include "train/output/training_plot.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

namespace focal::eval {

namespace {

struct Point {
  double x, y;
  std::string label;
  bool measured;
};

// About `n` round ticks covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int n) {
  const double raw = (hi - lo) / std::max(1, n);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

}  // namespace

int plot_accuracy_vs_flops(const std::vector<TableReport>& reports, const std::filesystem::path& path) {
  std::vector<Point> points;
  std::set<std::string> seen;
  for (const auto& report : reports) {
    for (const auto& row : report.rows) {
      const auto flops = row.published.value("gflops"), top1 = row.published.value("top1");
      // A row repeated in several tables (Focal-T is in five) is drawn once.
      if (flops && top1 &&
          seen.insert("p|" + row.published.config + std::to_string(*flops) + std::to_string(*top1)).second) {
        points.push_back({*flops, *top1, row.published.label, false});
      }
      if (row.macs && row.top1 && seen.insert("m|" + row.published.config).second) {
        points.push_back({static_cast<double>(*row.macs) / 1e9, *row.top1, row.published.label, true});
      }
    }
  }
  const int width = 1100, height = 640, left = 80, right = 170, top = 50, bottom = 60;
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar black(0, 0, 0), grey(210, 210, 210), blue(180, 90, 20), red(30, 30, 200);
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(image, "ImageNet-1K top-1 vs GFLOPs (published: circles, measured: crosses)", {left, 30}, font,
              0.6, black, 1, cv::LINE_AA);
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (!points.empty()) {
    x0 = x1 = points[0].x;
    y0 = y1 = points[0].y;
    for (const auto& p : points) {
      x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
    }
    const double px = std::max(0.5, 0.08 * (x1 - x0)), py = std::max(0.5, 0.08 * (y1 - y0));
    x0 -= px, x1 += px, y0 -= py, y1 += py;
  }
  auto to_px = [&](double x, double y) {
    return cv::Point(left + static_cast<int>((x - x0) / (x1 - x0) * (width - left - right)),
                     height - bottom - static_cast<int>((y - y0) / (y1 - y0) * (height - top - bottom)));
  };
  const auto xt = nice_ticks(x0, x1, 8), yt = nice_ticks(y0, y1, 6);
  const auto xl = train::tick_labels(xt), yl = train::tick_labels(yt);
  for (size_t i = 0; i < xt.size(); ++i) {
    const auto p = to_px(xt[i], y0);
    cv::line(image, {p.x, top}, {p.x, height - bottom}, grey, 1);
    cv::putText(image, xl[i], {p.x - 12, height - bottom + 20}, font, 0.45, black, 1, cv::LINE_AA);
  }
  for (size_t i = 0; i < yt.size(); ++i) {
    const auto p = to_px(x0, yt[i]);
    cv::line(image, {left, p.y}, {width - right, p.y}, grey, 1);
    cv::putText(image, yl[i], {10, p.y + 5}, font, 0.45, black, 1, cv::LINE_AA);
  }
  cv::rectangle(image, {left, top}, {width - right, height - bottom}, black, 1);
  cv::putText(image, "GFLOPs (published) / GMACs (ours)", {width / 2 - 140, height - 15}, font, 0.5, black, 1,
              cv::LINE_AA);
  cv::putText(image, "top-1 %", {10, top - 10}, font, 0.5, black, 1, cv::LINE_AA);
  if (points.empty()) {
    cv::putText(image, "no point: no row has both FLOPs and top-1", {left + 20, height / 2}, font, 0.6, black,
                1, cv::LINE_AA);
  }
  for (const auto& p : points) {
    const auto c = to_px(p.x, p.y);
    if (p.measured) {
      cv::drawMarker(image, c, red, cv::MARKER_CROSS, 12, 2);
    } else {
      cv::circle(image, c, 5, blue, cv::FILLED, cv::LINE_AA);
    }
    cv::putText(image, p.label + (p.measured ? " (measured)" : ""), {c.x + 8, c.y - 6}, font, 0.4,
                p.measured ? red : blue, 1, cv::LINE_AA);
  }
  std::vector<uchar> png;
  if (!cv::imencode(".png", image, png)) throw std::runtime_error(path.string() + ": PNG encoding failed");
  train::write_file_atomically(path, std::string(png.begin(), png.end()));
  return static_cast<int>(points.size());
}

}  // namespace focal::eval
