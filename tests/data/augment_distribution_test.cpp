// The random parameters of the augmentations against timm's own code, run in Python
// (timm_distributions.py): both sides draw many seeded samples and their distributions are compared.
// Continuous quantities are compared with the two-sample Kolmogorov-Smirnov test and frequencies with the
// two-proportion z-test; both tolerances follow from the sample sizes at a false-alarm rate of about 1e-6
// per comparison, so a correct implementation passes whatever its random stream, and a distribution that
// differs by a few percent of probability mass fails.
#include "data/transforms/mixup.h"
#include "data/transforms/rand_augment.h"
#include "data/transforms/random_erasing.h"
#include "data/transforms/random_resized_crop.h"
#include "tests/support/test_env.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

using namespace focal::data;
namespace fs = std::filesystem;

namespace {

constexpr double kAlpha = 1e-6;  // two-sided false-alarm rate of one comparison
constexpr double kZ = 4.89;      // its normal quantile

// Runs timm_distributions.py with `jobs`; false when the interpreter or one of its packages is missing.
bool run_timm(const fs::path& dir, const std::vector<std::string>& jobs) {
  const auto py = focal::test::python_path();
  if (!fs::exists(py)) return false;
  std::string cmd = "\"" + py.string() + "\" \"" + std::string(FOCAL_SOURCE_DIR) +
                    "/tests/data/timm_distributions.py\" \"" + dir.string() + "\"";
  for (const auto& j : jobs) cmd += " " + j;
  cmd += " > \"" + (dir / "python.log").string() + "\" 2>&1";
  const int rc = focal::test::run_command(cmd);
  if (rc == 77) return false;
  if (rc != 0) {
    std::ifstream log(dir / "python.log");
    std::stringstream text;
    text << log.rdbuf();
    FAIL("timm_distributions.py failed (" << rc << "):\n" << text.str());
  }
  return true;
}

std::vector<std::vector<std::string>> read_rows(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in.good());
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> row;
    std::string field;
    while (ls >> field) row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

// Largest distance between the empirical distribution functions of a and b.
double ks_statistic(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / a.size() - static_cast<double>(j) / b.size()));
  }
  return d;
}

// The asymptotic critical value of the two-sample KS statistic at kAlpha: c(alpha) * sqrt((n + m) / (n m)).
double ks_critical(size_t n, size_t m) {
  return std::sqrt(-std::log(kAlpha / 2) / 2) *
         std::sqrt(static_cast<double>(n + m) / (static_cast<double>(n) * m));
}

void check_same_distribution(const std::vector<double>& ours, const std::vector<double>& timm,
                             const std::string& what) {
  INFO(what << ": " << ours.size() << " samples of ours, " << timm.size() << " of timm");
  REQUIRE(ours.size() >= 200);
  REQUIRE(timm.size() >= 200);
  const double d = ks_statistic(ours, timm), crit = ks_critical(ours.size(), timm.size());
  INFO("KS distance " << d << ", critical " << crit);
  CHECK(d <= crit);
}

void check_same_rate(size_t k1, size_t n1, size_t k2, size_t n2, const std::string& what) {
  const double p1 = static_cast<double>(k1) / n1, p2 = static_cast<double>(k2) / n2;
  const double p = static_cast<double>(k1 + k2) / (n1 + n2);
  const double se = std::sqrt(p * (1 - p) * (1.0 / n1 + 1.0 / n2));
  INFO(what << ": ours " << p1 << " (" << k1 << "/" << n1 << "), timm " << p2 << " (" << k2 << "/" << n2
            << "), tolerance " << kZ * se);
  CHECK(std::abs(p1 - p2) <= kZ * se + 1e-12);
}

double area_fraction(const Rect& r, int64_t w, int64_t h) {
  return static_cast<double>(r.width * r.height) / static_cast<double>(w * h);
}

// timm's fallback of RandomResizedCropAndInterpolation.get_params, restated: the central crop, clamped to
// the ratio range.
Rect rrc_fallback(int64_t w, int64_t h) {
  const double in_ratio = static_cast<double>(w) / h;
  int64_t cw = w, ch = h;
  if (in_ratio < 3.0 / 4.0) ch = static_cast<int64_t>(std::nearbyint(w / (3.0 / 4.0)));
  if (in_ratio > 4.0 / 3.0) cw = static_cast<int64_t>(std::nearbyint(h * (4.0 / 3.0)));
  return Rect{(w - cw) / 2, (h - ch) / 2, cw, ch};
}

bool same(const Rect& a, const Rect& b) {
  return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
}

// Rows of "x y w h" (several boxes after a leading count when `counted`).
std::vector<Rect> boxes_of(const std::vector<std::string>& row, size_t first) {
  std::vector<Rect> out;
  for (size_t k = first; k + 3 < row.size(); k += 4) {
    out.push_back(
        Rect{std::stoll(row[k]), std::stoll(row[k + 1]), std::stoll(row[k + 2]), std::stoll(row[k + 3])});
  }
  return out;
}

}  // namespace

TEST_CASE("random-resized-crop boxes follow timm's distribution: area, log aspect ratio, position, fallback",
          "[transforms][distribution][python][timm]") {
  const auto dir = focal::test::temp_dir("rrc_distribution");
  // 1000x200: about a quarter of the draws exhaust the ten attempts. The strips always do.
  struct Shape {
    int64_t w, h;
  };
  const std::vector<Shape> shapes = {{640, 480}, {500, 500}, {1000, 200}};
  const std::vector<Shape> strips = {{1000, 10}, {10, 1000}, {2000, 30}, {37, 900}};
  const int n = 20000;
  std::vector<std::string> jobs;
  for (size_t s = 0; s < shapes.size(); ++s) {
    jobs.push_back("s" + std::to_string(s) + "=rrc," + std::to_string(shapes[s].w) + "," +
                   std::to_string(shapes[s].h) + "," + std::to_string(n) + "," + std::to_string(11 + s));
  }
  for (size_t s = 0; s < strips.size(); ++s) {
    jobs.push_back("strip" + std::to_string(s) + "=rrc," + std::to_string(strips[s].w) + "," +
                   std::to_string(strips[s].h) + ",3,1");
  }
  if (!run_timm(dir, jobs)) FOCAL_SKIP_MISSING("no Python with torch, timm and Pillow (FOCAL_PYTHON)");

  const RandomResizedCropOptions o;
  for (size_t s = 0; s < shapes.size(); ++s) {
    const int64_t w = shapes[s].w, h = shapes[s].h;
    INFO(w << "x" << h);
    const Rect fallback = rrc_fallback(w, h);
    struct Summary {
      std::vector<double> area, log_ratio, left, top;
      size_t fallbacks = 0;
      void add(const Rect& r, int64_t w, int64_t h, const Rect& fallback) {
        if (same(r, fallback)) {
          ++fallbacks;
          return;
        }
        area.push_back(area_fraction(r, w, h));
        log_ratio.push_back(std::log(static_cast<double>(r.width) / r.height));
        if (r.width < w) left.push_back(static_cast<double>(r.x) / (w - r.width));
        if (r.height < h) top.push_back(static_cast<double>(r.y) / (h - r.height));
      }
    } ours, timm, uniform_aspect;
    for (const auto& row : read_rows(dir / ("s" + std::to_string(s) + ".txt"))) {
      timm.add(boxes_of(row, 0).at(0), w, h, fallback);
    }
    Rng rng(1000 + s);
    for (int i = 0; i < n; ++i) ours.add(sample_random_resized_crop(rng, w, h, o), w, h, fallback);
    check_same_rate(ours.fallbacks, n, timm.fallbacks, n, "fallback to the central crop");
    check_same_distribution(ours.area, timm.area, "area fraction");
    check_same_distribution(ours.log_ratio, timm.log_ratio, "log aspect ratio");
    check_same_distribution(ours.left, timm.left, "left offset / free width");
    check_same_distribution(ours.top, timm.top, "top offset / free height");

    // The comparison has the power to see a wrong draw: an aspect ratio uniform in [3/4, 4/3] (instead of
    // log-uniform) is rejected at this sample size.
    if (s == 0) {
      Rng u(7);
      for (int i = 0; i < n; ++i) {
        const double ratio = u.uniform(3.0 / 4.0, 4.0 / 3.0), a = u.uniform(0.08, 1.0) * w * h;
        const auto bw = static_cast<int64_t>(std::nearbyint(std::sqrt(a * ratio)));
        const auto bh = static_cast<int64_t>(std::nearbyint(std::sqrt(a / ratio)));
        if (bw <= w && bh <= h) uniform_aspect.log_ratio.push_back(std::log(static_cast<double>(bw) / bh));
      }
      CHECK(ks_statistic(uniform_aspect.log_ratio, timm.log_ratio) >
            2 * ks_critical(uniform_aspect.log_ratio.size(), timm.log_ratio.size()));
    }
  }
  // Images no draw fits: after ten attempts both fall back to the same central crop.
  for (size_t s = 0; s < strips.size(); ++s) {
    const int64_t w = strips[s].w, h = strips[s].h;
    Rng rng(5);
    for (const auto& row : read_rows(dir / ("strip" + std::to_string(s) + ".txt"))) {
      const Rect t = boxes_of(row, 0).at(0), mine = sample_random_resized_crop(rng, w, h, o);
      INFO(w << "x" << h << ": ours " << mine.x << "," << mine.y << " " << mine.width << "x" << mine.height
             << ", timm " << t.x << "," << t.y << " " << t.width << "x" << t.height);
      CHECK(same(mine, t));
      CHECK(same(t, rrc_fallback(w, h)));
    }
  }
}

TEST_CASE("random erasing follows timm's distribution: probability, count, box area, aspect and position",
          "[transforms][distribution][python][timm]") {
  const auto dir = focal::test::temp_dir("erasing_distribution");
  struct Setting {
    int64_t h, w;
    double p, min_area, max_area, min_aspect;
    int64_t min_count, max_count;
  };
  // The recipe (REPROB 0.25, one box), several boxes (RECOUNT 3), and a wide image with another aspect range.
  const std::vector<Setting> settings = {{224, 224, 0.25, 0.02, 1.0 / 3, 0.3, 1, 1},
                                         {224, 224, 1.0, 0.02, 1.0 / 3, 0.3, 1, 3},
                                         {96, 300, 0.6, 0.1, 0.6, 0.5, 1, 1}};
  const int n = 20000;
  std::vector<std::string> jobs;
  for (size_t s = 0; s < settings.size(); ++s) {
    const auto& c = settings[s];
    std::ostringstream j;
    j.precision(17);
    j << "e" << s << "=erasing," << c.h << "," << c.w << "," << n << "," << 21 + s << "," << c.p << ","
      << c.min_area << "," << c.max_area << "," << c.min_aspect << "," << c.min_count << "," << c.max_count;
    jobs.push_back(j.str());
  }
  if (!run_timm(dir, jobs)) FOCAL_SKIP_MISSING("no Python with torch, timm and Pillow (FOCAL_PYTHON)");

  for (size_t s = 0; s < settings.size(); ++s) {
    const auto& c = settings[s];
    INFO("setting " << s << ": " << c.h << "x" << c.w << " p " << c.p << " count " << c.min_count << "-"
                    << c.max_count);
    struct Summary {
      std::map<size_t, size_t> count;  // boxes per call
      std::vector<double> area, log_aspect, top, left;
      void add(const std::vector<Rect>& boxes, const Setting& c) {
        ++count[boxes.size()];
        for (const Rect& r : boxes) {
          area.push_back(area_fraction(r, c.w, c.h));
          log_aspect.push_back(std::log(static_cast<double>(r.height) / r.width));
          top.push_back(static_cast<double>(r.y) / (c.h - r.height));
          left.push_back(static_cast<double>(r.x) / (c.w - r.width));
        }
      }
    } ours, timm;
    for (const auto& row : read_rows(dir / ("e" + std::to_string(s) + ".txt"))) {
      const auto boxes = boxes_of(row, 1);
      REQUIRE(boxes.size() == std::stoull(row.at(0)));
      timm.add(boxes, c);
    }
    const auto o = RandomErasingOptions()
                       .probability(c.p)
                       .min_area(c.min_area)
                       .max_area(c.max_area)
                       .min_aspect(c.min_aspect)
                       .min_count(c.min_count)
                       .max_count(c.max_count);
    Rng rng(2000 + s);
    for (int i = 0; i < n; ++i) ours.add(sample_erasing_boxes(rng, c.h, c.w, o), c);
    for (size_t k = 0; k <= static_cast<size_t>(c.max_count); ++k) {
      check_same_rate(ours.count[k], n, timm.count[k], n, "calls erasing " + std::to_string(k) + " boxes");
    }
    check_same_distribution(ours.area, timm.area, "box area fraction");
    check_same_distribution(ours.log_aspect, timm.log_aspect, "box log aspect ratio (h / w)");
    check_same_distribution(ours.top, timm.top, "top offset / free height");
    check_same_distribution(ours.left, timm.left, "left offset / free width");
  }
}

TEST_CASE("RandAugment follows timm's distribution: ops applied, op frequencies, magnitudes with noise",
          "[transforms][distribution][python][timm]") {
  const auto dir = focal::test::temp_dir("randaug_distribution");
  // The recipe's policy (Gaussian magnitude noise, increasing ops), and one with 3 layers, p 0.8 and
  // uniformly drawn magnitudes (mstd > 100).
  const std::vector<std::string> specs = {"rand-m9-mstd0.5-inc1", "rand-n3-m7-p0.8-mstd101"};
  const int n = 20000;
  std::vector<std::string> jobs;
  for (size_t s = 0; s < specs.size(); ++s) {
    jobs.push_back("ra" + std::to_string(s) + "=randaug," + specs[s] + "," + std::to_string(n) + "," +
                   std::to_string(31 + s));
  }
  if (!run_timm(dir, jobs)) FOCAL_SKIP_MISSING("no Python with torch, timm and Pillow (FOCAL_PYTHON)");

  for (size_t s = 0; s < specs.size(); ++s) {
    INFO(specs[s]);
    struct Summary {
      std::map<size_t, size_t> applied;                 // ops applied per call
      std::map<std::string, std::vector<double>> args;  // per op name: its level arguments
      size_t total = 0;
    } ours, timm;
    for (const auto& row : read_rows(dir / ("ra" + std::to_string(s) + ".txt"))) {
      const size_t k = std::stoull(row.at(0));
      REQUIRE(row.size() == 1 + 2 * k);
      ++timm.applied[k];
      for (size_t i = 0; i < k; ++i) timm.args[row[1 + 2 * i]].push_back(std::stod(row[2 + 2 * i]));
      timm.total += k;
    }
    const auto options = parse_rand_augment(specs[s]);
    const RandAugment ra(options, AugmentHparams{});
    Rng rng(3000 + s);
    for (int i = 0; i < n; ++i) {
      const auto ops = ra.sample(rng);
      ++ours.applied[ops.size()];
      for (const auto& op : ops) ours.args[to_string(op.kind)].push_back(op.arg);
      ours.total += ops.size();
    }
    for (size_t k = 0; k <= static_cast<size_t>(options.num_layers()); ++k) {
      check_same_rate(ours.applied[k], n, timm.applied[k], n, std::to_string(k) + " ops applied");
    }
    // Every op of the policy, and no other, with timm's frequency and argument distribution.
    REQUIRE(timm.args.size() == options.ops().size());
    for (const auto& [name, timm_args] : timm.args) {
      INFO("op " << name);
      const auto& our_args = ours.args[name];
      check_same_rate(our_args.size(), ours.total, timm_args.size(), timm.total,
                      "frequency among applied ops");
      const auto [lo, hi] = std::minmax_element(timm_args.begin(), timm_args.end());
      if (*lo == *hi) {  // an op without argument
        for (double a : our_args) CHECK(a == *lo);
      } else {
        check_same_distribution(our_args, timm_args, "level argument");
      }
    }
    CHECK(ours.args.size() == timm.args.size());
  }
}

TEST_CASE("Mixup / CutMix follow timm's distribution: switch and mix probabilities, lambda, CutMix box",
          "[mixup][distribution][python][timm]") {
  const auto dir = focal::test::temp_dir("mixup_distribution");
  struct Setting {
    double mixup, cutmix, prob, switch_prob;
    std::vector<double> minmax;
  };
  // The recipe (0.8 / 1.0, always, switch 0.5); distinct alphas with a mixing probability and a lopsided
  // switch; CUTMIX_MINMAX.
  const std::vector<Setting> settings = {
      {0.8, 1.0, 1.0, 0.5, {}}, {0.4, 2.0, 0.6, 0.25, {}}, {0.8, 1.0, 1.0, 0.5, {0.2, 0.7}}};
  const int n = 8000;
  std::vector<std::string> jobs;
  for (size_t s = 0; s < settings.size(); ++s) {
    const auto& c = settings[s];
    std::ostringstream j;
    j << "m" << s << "=mixup," << n << "," << 41 + s << "," << c.mixup << "," << c.cutmix << "," << c.prob
      << "," << c.switch_prob;
    for (double v : c.minmax) j << "," << v;
    jobs.push_back(j.str());
  }
  if (!run_timm(dir, jobs)) FOCAL_SKIP_MISSING("no Python with torch, timm and Pillow (FOCAL_PYTHON)");

  for (size_t s = 0; s < settings.size(); ++s) {
    const auto& c = settings[s];
    INFO("setting " << s << ": mixup " << c.mixup << " cutmix " << c.cutmix << " prob " << c.prob
                    << " switch " << c.switch_prob << (c.minmax.empty() ? "" : " minmax"));
    struct Summary {
      std::map<std::string, std::vector<double>> lam;  // per kind: none, mixup, cutmix
      std::vector<double> box_cy, box_cx, box_h, box_w;
      void add(const std::string& kind, double lam_value, const std::array<int64_t, 4>& box) {
        lam[kind].push_back(lam_value);
        if (kind != "cutmix") return;
        box_cy.push_back(0.5 * static_cast<double>(box[0] + box[1]));
        box_cx.push_back(0.5 * static_cast<double>(box[2] + box[3]));
        box_h.push_back(static_cast<double>(box[1] - box[0]));
        box_w.push_back(static_cast<double>(box[3] - box[2]));
      }
    } ours, timm;
    for (const auto& row : read_rows(dir / ("m" + std::to_string(s) + ".txt"))) {
      REQUIRE(row.size() == 6);
      timm.add(row[0], std::stod(row[1]),
               {std::stoll(row[2]), std::stoll(row[3]), std::stoll(row[4]), std::stoll(row[5])});
    }
    MixupOptions o;
    o.mixup_alpha = c.mixup;
    o.cutmix_alpha = c.cutmix;
    o.cutmix_minmax = c.minmax;
    o.prob = c.prob;
    o.switch_prob = c.switch_prob;
    o.mode = "batch";
    o.label_smoothing = 0.0;
    o.num_classes = 2;
    const Mixup mixup(o);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(4000 + s);
    const auto labels = torch::tensor({0, 1}, torch::kInt64);
    for (int i = 0; i < n; ++i) {
      auto x = torch::zeros({2, 1, 32, 32});
      x[1].fill_(1.0f);
      auto [images, targets] = mixup(x, labels, gen);
      const auto first = images[0][0];
      const bool blend = ((first != 0) & (first != 1)).any().item<bool>() || (first == 1).all().item<bool>();
      std::array<int64_t, 4> box{0, 0, 0, 0};
      std::string kind = blend ? "mixup" : "none";
      if (!blend && (first == 1).any().item<bool>()) {
        kind = "cutmix";
        const auto ones = (first == 1).nonzero();  // (k, 2) rows of (y, x)
        box = {ones.select(1, 0).min().item<int64_t>(), ones.select(1, 0).max().item<int64_t>() + 1,
               ones.select(1, 1).min().item<int64_t>(), ones.select(1, 1).max().item<int64_t>() + 1};
      }
      ours.add(kind, targets[0][0].item<double>(), box);
    }
    for (const char* kind : {"none", "mixup", "cutmix"}) {
      check_same_rate(ours.lam[kind].size(), n, timm.lam[kind].size(), n,
                      std::string("batches with ") + kind);
    }
    check_same_distribution(ours.lam["mixup"], timm.lam["mixup"], "Mixup lambda");
    check_same_distribution(ours.lam["cutmix"], timm.lam["cutmix"], "CutMix lambda (box-corrected)");
    check_same_distribution(ours.box_cy, timm.box_cy, "CutMix box centre row");
    check_same_distribution(ours.box_cx, timm.box_cx, "CutMix box centre column");
    check_same_distribution(ours.box_h, timm.box_h, "CutMix box height");
    check_same_distribution(ours.box_w, timm.box_w, "CutMix box width");
  }
}
