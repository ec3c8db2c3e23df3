#pragma once
// focal-eval --predictions: one CSV row per image, in dataset order, as timm's inference.py gives them:
// path, label (the ground truth; -1 when unknown), top1..topK (class indices, most probable first) and
// prob1..probK (softmax probabilities).
#include "data/datasets/dataset.h"
#include "eval/evaluator/evaluation_loop.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace focal::eval {

class PredictionsCollector {
 public:
  // `topk`: the columns of every row (the caller caps it at the number of classes).
  PredictionsCollector(const data::Dataset& dataset, int64_t topk) : dataset_(dataset), topk_(topk) {}
  // The hook of run_evaluation.
  void add(const BatchPredictions& batch);
  int64_t rows() const { return static_cast<int64_t>(rows_.size()); }
  int64_t topk() const { return topk_; }
  // This process's rows, "index<TAB>csv line" per line, for gathering on rank 0.
  std::string serialize() const;
  void merge_serialized(const std::string& text);
  // Writes the header and the rows sorted by dataset index (temporary file, then rename).
  void write(const std::filesystem::path& path) const;

 private:
  const data::Dataset& dataset_;
  int64_t topk_ = 0;
  std::map<int64_t, std::string> rows_;  // dataset index -> CSV line
};

// The header line's columns for `topk` predictions.
std::vector<std::string> prediction_columns(int64_t topk);

}  // namespace focal::eval
