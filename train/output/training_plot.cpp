#include "train/output/training_plot.h"

#include "train/checkpoint/atomic_file.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace focal::train {

namespace {

struct Series {
  std::string label;
  cv::Scalar color;
  std::vector<double> x, y;
};

// A step of 1, 2 or 5 times a power of ten giving about `target` intervals over `range`.
double nice_step(double range, int target) {
  double raw = range / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * mag;
}

enum class LegendCorner { kTopRight, kBottomRight };

// Draws one panel into `canvas` (a view of the full image).
void draw_panel(cv::Mat canvas, const std::string& title, const std::string& y_label,
                const std::vector<Series>& series, LegendCorner corner) {
  const int w = canvas.cols, h = canvas.rows;
  const int left = 70, right = 15, top = 30, bottom = 45;
  const cv::Rect plot(left, top, w - left - right, h - top - bottom);
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Scalar black(0, 0, 0), grid(225, 225, 225);

  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  }
  if (x0 > x1) {  // nothing finite to show
    x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  }
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12 * std::max(1.0, std::fabs(y1))) {
    double pad = std::max(std::fabs(y1) * 0.05, 1e-12);
    y0 -= pad, y1 += pad;
  } else {
    double pad = (y1 - y0) * 0.05;
    // Quantities that cannot be negative (loss, LR, accuracy) keep a non-negative axis.
    y0 = y0 >= 0 ? std::max(0.0, y0 - pad) : y0 - pad;
    y1 += pad;
  }
  auto px = [&](double x) { return plot.x + (x - x0) / (x1 - x0) * plot.width; };
  auto py = [&](double y) { return plot.y + plot.height - (y - y0) / (y1 - y0) * plot.height; };

  const int ticks = 5;
  auto tick_positions = [](double lo, double hi, double step) {
    std::vector<double> out;
    for (double f = std::ceil(lo / step - 1e-9) * step; f <= hi + 1e-9 * step; f += step) {
      out.push_back(std::fabs(f) < 1e-9 * step ? 0.0 : f);  // no "-1e-17" or "-0"
    }
    return out;
  };
  const auto yticks = tick_positions(y0, y1, nice_step(y1 - y0, ticks));
  const auto ylabels = tick_labels(yticks);
  for (size_t i = 0; i < yticks.size(); ++i) {
    int yy = static_cast<int>(std::lround(py(yticks[i])));
    cv::line(canvas, {plot.x, yy}, {plot.x + plot.width, yy}, grid, 1);
    cv::line(canvas, {plot.x - 4, yy}, {plot.x, yy}, black, 1);
    int base = 0;
    auto size = cv::getTextSize(ylabels[i], font, 0.38, 1, &base);
    cv::putText(canvas, ylabels[i], {plot.x - 6 - size.width, yy + size.height / 2}, font, 0.38, black, 1,
                cv::LINE_AA);
  }
  // Epoch ticks at whole, evenly spaced epochs.
  const auto xticks = tick_positions(x0, x1, std::max(1.0, nice_step(x1 - x0, ticks)));
  const auto xlabels = tick_labels(xticks);
  for (size_t i = 0; i < xticks.size(); ++i) {
    int xx = static_cast<int>(std::lround(px(xticks[i])));
    cv::line(canvas, {xx, plot.y + plot.height}, {xx, plot.y + plot.height + 4}, black, 1);
    int base = 0;
    auto size = cv::getTextSize(xlabels[i], font, 0.38, 1, &base);
    cv::putText(canvas, xlabels[i], {xx - size.width / 2, plot.y + plot.height + 8 + size.height}, font, 0.38,
                black, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas, plot, black, 1);

  for (const auto& s : series) {
    std::vector<cv::Point> pts;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      pts.emplace_back(static_cast<int>(std::lround(px(s.x[i]))), static_cast<int>(std::lround(py(s.y[i]))));
    }
    if (pts.size() > 1) cv::polylines(canvas, pts, false, s.color, 2, cv::LINE_AA);
    for (const auto& p : pts) cv::circle(canvas, p, 2, s.color, cv::FILLED, cv::LINE_AA);
  }

  int base = 0;
  auto tsize = cv::getTextSize(title, font, 0.55, 1, &base);
  cv::putText(canvas, title, {(w - tsize.width) / 2, 20}, font, 0.55, black, 1, cv::LINE_AA);
  auto xsize = cv::getTextSize("epoch", font, 0.45, 1, &base);
  cv::putText(canvas, "epoch", {plot.x + (plot.width - xsize.width) / 2, h - 8}, font, 0.45, black, 1,
              cv::LINE_AA);
  // The y label is drawn horizontally above the axis: OpenCV has no rotated text.
  cv::putText(canvas, y_label, {4, 20}, font, 0.4, black, 1, cv::LINE_AA);

  // Legend in a corner of the plot area where the curves usually are not.
  int shown = 0;
  for (const auto& s : series)
    shown += std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); });
  int ly = corner == LegendCorner::kTopRight ? plot.y + 14 : plot.y + plot.height - 8 - (shown - 1) * 19;
  for (const auto& s : series) {
    bool any = std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); });
    if (!any) continue;
    auto size = cv::getTextSize(s.label, font, 0.4, 1, &base);
    int lx = plot.x + plot.width - size.width - 34;
    cv::rectangle(canvas, {lx - 4, ly - size.height - 3}, {plot.x + plot.width - 4, ly + 4},
                  cv::Scalar(255, 255, 255), cv::FILLED);
    cv::line(canvas, {lx, ly - size.height / 2}, {lx + 20, ly - size.height / 2}, s.color, 2, cv::LINE_AA);
    cv::putText(canvas, s.label, {lx + 26, ly}, font, 0.4, black, 1, cv::LINE_AA);
    ly += size.height + 8;
  }
}

Series make_series(const std::vector<EpochRecord>& records, const std::string& label, cv::Scalar color,
                   double EpochRecord::*field) {
  Series s{label, color, {}, {}};
  for (const auto& r : records) {
    s.x.push_back(static_cast<double>(r.epoch));
    s.y.push_back(r.*field);
  }
  return s;
}

}  // namespace

std::vector<std::string> tick_labels(const std::vector<double>& ticks) {
  double largest = 0;
  for (double v : ticks) largest = std::max(largest, std::fabs(v));
  const bool scientific = largest != 0 && (largest < 1e-2 || largest >= 1e4);
  std::vector<std::string> labels;
  for (int digits = 0; digits <= 12; ++digits) {
    labels.clear();
    for (double v : ticks) {
      if (v == 0) {  // also -0.0, which would print as "-0"
        labels.push_back("0");
        continue;
      }
      char buf[48];
      std::snprintf(buf, sizeof(buf), scientific ? "%.*e" : "%.*f", digits, v);
      std::string text = buf;
      if (text.find_first_of("123456789") == std::string::npos && text[0] == '-') text.erase(0, 1);
      labels.push_back(text);
    }
    bool distinct = true;
    for (size_t i = 1; i < labels.size(); ++i) distinct = distinct && labels[i] != labels[i - 1];
    if (distinct) break;
  }
  return labels;
}

void plot_training_curves(const std::vector<EpochRecord>& records, const std::filesystem::path& path,
                          const PlotOptions& options) {
  if (records.empty()) throw std::invalid_argument("plot_training_curves: no epochs to plot");
  const int pw = options.panel_width, ph = options.panel_height;
  cv::Mat image(ph, pw * 3, CV_8UC3, cv::Scalar(255, 255, 255));
  // Colours are BGR.
  const cv::Scalar blue(200, 90, 30), orange(20, 130, 240), green(60, 160, 40), red(40, 40, 200);
  draw_panel(image(cv::Rect(0, 0, pw, ph)), "Loss", "loss",
             {make_series(records, "train", blue, &EpochRecord::train_loss),
              make_series(records, "val", orange, &EpochRecord::val_loss),
              make_series(records, "val (EMA)", green, &EpochRecord::ema_val_loss)},
             LegendCorner::kTopRight);
  draw_panel(image(cv::Rect(pw, 0, pw, ph)), "Learning rate", "lr",
             {make_series(records, "lr", red, &EpochRecord::lr)}, LegendCorner::kTopRight);
  draw_panel(image(cv::Rect(2 * pw, 0, pw, ph)), "Top-1 accuracy", "%",
             {make_series(records, "val", orange, &EpochRecord::val_acc1),
              make_series(records, "val (EMA)", green, &EpochRecord::ema_val_acc1)},
             LegendCorner::kBottomRight);
  auto tmp = temporary_sibling(path);
  tmp += ".png";  // imwrite picks the encoder from the extension
  if (!cv::imwrite(tmp.string(), image))
    throw std::runtime_error(path.string() + ": the plot could not be written");
  replace_file(tmp, path);
}

}  // namespace focal::train
