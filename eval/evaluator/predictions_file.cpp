#include "eval/evaluator/predictions_file.h"

#include "eval/evaluator/results_file.h"
#include "train/checkpoint/atomic_file.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace focal::eval {

std::vector<std::string> prediction_columns(int64_t topk) {
  std::vector<std::string> c = {"path", "label"};
  for (int64_t i = 1; i <= topk; ++i) c.push_back("top" + std::to_string(i));
  for (int64_t i = 1; i <= topk; ++i) c.push_back("prob" + std::to_string(i));
  return c;
}

void PredictionsCollector::add(const BatchPredictions& batch) {
  const int64_t n = batch.indices.size(0);
  const int64_t k = batch.classes.size(1);
  if (k != topk_) throw std::logic_error("predictions: a batch with another top-k than the file's");
  auto indices = batch.indices.contiguous();
  auto labels = batch.labels.contiguous();
  auto classes = batch.classes.to(torch::kInt64).contiguous();
  auto probs = batch.probs.to(torch::kFloat).contiguous();
  const int64_t* ip = indices.data_ptr<int64_t>();
  const int64_t* lp = labels.data_ptr<int64_t>();
  const int64_t* cp = classes.data_ptr<int64_t>();
  const float* pp = probs.data_ptr<float>();
  for (int64_t r = 0; r < n; ++r) {
    std::string line = csv_field(dataset_.describe(ip[r])) + "," + std::to_string(lp[r]);
    for (int64_t j = 0; j < k; ++j) line += "," + std::to_string(cp[r * k + j]);
    char text[32];
    for (int64_t j = 0; j < k; ++j) {
      std::snprintf(text, sizeof(text), ",%.8f", static_cast<double>(pp[r * k + j]));
      line += text;
    }
    rows_[ip[r]] = std::move(line);
  }
}

std::string PredictionsCollector::serialize() const {
  std::string out = std::to_string(topk_) + "\n";
  for (const auto& [index, line] : rows_) out += std::to_string(index) + "\t" + line + "\n";
  return out;
}

void PredictionsCollector::merge_serialized(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return;
  if (std::stoll(line) != topk_) throw std::logic_error("predictions: ranks with different top-k");
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    rows_[std::stoll(line.substr(0, tab))] = line.substr(tab + 1);
  }
}

void PredictionsCollector::write(const std::filesystem::path& path) const {
  std::string out;
  bool first = true;
  for (const auto& c : prediction_columns(topk_)) {
    out += (first ? "" : ",") + c;
    first = false;
  }
  out += "\n";
  for (const auto& [index, line] : rows_) out += line + "\n";
  train::write_file_atomically(path, out);
}

}  // namespace focal::eval
