#include "train/checkpoint/pretrained_loader.h"

#include "focal/io/state_dict.h"
#include "focal/layers/attention/relative_position.h"
#include "focal/layers/backbone/weight_init.h"

#include <torch/torch.h>

#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

namespace focal::train {

namespace {

std::string last_component(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Tables the model derives from its geometry; copying them from another geometry would corrupt it.
bool is_geometry_buffer(const std::string& name) {
  auto leaf = last_component(name);
  return starts_with(leaf, "relative_position_index") || starts_with(leaf, "valid_ind_") ||
         leaf == "attn_mask" || leaf == "relative_coords_table" ||
         // Focal-v2's top-K tables (the original's spelling) and window offsets
         starts_with(leaf, "topk_cloest_") || leaf == "window_coords";
}

int64_t exact_sqrt(int64_t n, const std::string& name) {
  auto r = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  if (r * r != n)
    throw std::runtime_error("pretrained '" + name + "': " + std::to_string(n) + " is not a square");
  return r;
}

// (N, S1*S1) rows of square grids -> (N, S2*S2), bicubic (align_corners=False, as the original).
torch::Tensor resize_grids(const torch::Tensor& rows, int64_t s2, const std::string& name) {
  exact_sqrt(rows.size(1), name);  // names the tensor when its rows are not square grids
  return resize_square_grids(rows, s2);
}

std::string shape_change(const std::string& name, const torch::Tensor& from, const torch::Tensor& to) {
  return name + ": " + c10::str(from.sizes()) + " -> " + c10::str(to.sizes());
}

std::string join(const std::vector<std::string>& v, size_t limit) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size() && i < limit; ++i) s << (i ? ", " : "") << v[i];
  if (v.size() > limit) s << ", ... (" << v.size() - limit << " more)";
  return s.str();
}

}  // namespace

std::string PretrainedReport::summary() const {
  std::ostringstream s;
  s << loaded.size() << " loaded, " << resized.size() << " resized, " << reinitialized.size()
    << " re-initialised, " << skipped.size() << " skipped, " << missing.size() << " missing";
  if (!resized.empty()) s << "\n  resized: " << join(resized, 64);
  if (!reinitialized.empty()) s << "\n  re-initialised: " << join(reinitialized, 64);
  if (!skipped.empty()) s << "\n  skipped: " << join(skipped, 16);
  if (!missing.empty()) s << "\n  missing from the checkpoint (kept as initialised): " << join(missing, 64);
  return s.str();
}

PretrainedReport load_pretrained(ClassifierImpl& model, const std::string& path) {
  // In the model's own names (timm's Swin layout, say, is rewritten into the release's).
  auto checkpoint = model.adapt_checkpoint(io::read_state_dict(path));
  PretrainedReport report;
  std::map<std::string, torch::Tensor> mine;
  for (const auto& item : model.named_parameters()) mine[item.key()] = item.value();
  for (const auto& item : model.named_buffers()) mine[item.key()] = item.value();

  // The head first: a new class count replaces it before anything is copied.
  std::map<std::string, torch::Tensor> source(checkpoint.begin(), checkpoint.end());
  auto head_w = source.find("head.weight");
  if (head_w != source.end() && mine.count("head.weight") &&
      head_w->second.size(0) != mine["head.weight"].size(0)) {
    model.reset_classifier(model.num_classes());
    const int64_t saved_classes = head_w->second.size(0);  // before erase() invalidates head_w
    for (const char* n : {"head.weight", "head.bias"}) {
      source.erase(n);
      report.reinitialized.push_back(std::string(n) + " (" + std::to_string(saved_classes) + " -> " +
                                     std::to_string(model.num_classes()) + " classes)");
    }
    mine.clear();
    for (const auto& item : model.named_parameters()) mine[item.key()] = item.value();
    for (const auto& item : model.named_buffers()) mine[item.key()] = item.value();
  }

  io::StateDict to_load;
  std::vector<std::string> mismatched;
  std::vector<torch::Tensor> to_reinitialize;  // applied only once nothing is mismatched
  for (const auto& [name, src] : checkpoint) {
    if (!source.count(name)) continue;  // dropped above (head)
    if (is_geometry_buffer(name)) {
      report.skipped.push_back(name + " (geometry, rebuilt by the model)");
      continue;
    }
    auto it = mine.find(name);
    if (it == mine.end()) {
      report.skipped.push_back(name + " (not in the model)");
      continue;
    }
    const auto& dst = it->second;
    if (src.is_floating_point() != dst.is_floating_point() || src.is_complex() != dst.is_complex()) {
      mismatched.push_back(name + ": checkpoint dtype " + std::string(c10::toString(src.scalar_type())) +
                           " vs model " + c10::toString(dst.scalar_type()));
      continue;
    }
    if (src.sizes().equals(dst.sizes())) {
      to_load.emplace_back(name, src);
      report.loaded.push_back(name);
      continue;
    }
    const auto leaf = last_component(name);
    if (contains(name, "relative_position_bias_table_to_neighbors")) {
      to_reinitialize.push_back(dst);
      report.reinitialized.push_back(shape_change(name, src, dst) + " (trunc normal, std 0.02)");
    } else if (leaf == "relative_position_bias_table" && src.dim() == 2 && dst.dim() == 2 &&
               src.size(1) == dst.size(1)) {
      // (L, nH): one grid per head.
      auto s2 = exact_sqrt(dst.size(0), name);
      to_load.emplace_back(name, resize_grids(src.t(), s2, name).t().contiguous());
      report.resized.push_back(shape_change(name, src, dst));
    } else if (contains(name, "relative_position_bias_table_to_windows") && src.dim() == 2 &&
               dst.dim() == 2 && src.size(0) == dst.size(0)) {
      // (nH, s*s)
      auto s2 = exact_sqrt(dst.size(1), name);
      to_load.emplace_back(name, resize_grids(src, s2, name));
      report.resized.push_back(shape_change(name, src, dst));
    } else if (contains(name, "pool_layers") && leaf == "weight" && src.dim() == 2 && dst.dim() == 2 &&
               src.size(0) == 1 && dst.size(0) == 1) {
      auto s2 = exact_sqrt(dst.size(1), name);
      // Keep the total weight: a pooled key stays an average over its window.
      double keep_sum = static_cast<double>(src.size(1)) / static_cast<double>(dst.size(1));
      to_load.emplace_back(name, resize_grids(src, s2, name) * keep_sum);
      report.resized.push_back(shape_change(name, src, dst));
    } else if (leaf == "absolute_pos_embed" && src.dim() == 3 && dst.dim() == 3 &&
               src.size(2) == dst.size(2)) {
      auto s2 = exact_sqrt(dst.size(1), name);
      auto rows = src[0].t();                                                                  // (C, L1)
      to_load.emplace_back(name, resize_grids(rows, s2, name).t().unsqueeze(0).contiguous());  // (1, L2, C)
      report.resized.push_back(shape_change(name, src, dst));
    } else {
      mismatched.push_back(name + ": checkpoint " + c10::str(src.sizes()) + " vs model " +
                           c10::str(dst.sizes()));
    }
  }
  // Every check comes before the first weight changes: a bad checkpoint leaves the model as it was.
  if (!mismatched.empty()) {
    throw std::runtime_error("pretrained " + path + ": tensors that cannot be adapted (shape or dtype): " +
                             join(mismatched, 32) + "; no weight was changed");
  }
  if (report.loaded.empty() && report.resized.empty() && !checkpoint.empty()) {
    std::vector<std::string> names;
    for (const auto& entry : checkpoint) names.push_back(entry.first);
    throw std::runtime_error("pretrained " + path + ": none of its " + std::to_string(checkpoint.size()) +
                             " tensors belongs to this model (a checkpoint of another model?): " +
                             join(names, 8) + "; no weight was changed");
  }
  {
    torch::NoGradGuard no_grad;
    for (auto& t : to_reinitialize) trunc_normal_(t, 0.02);
  }
  auto load_report = io::load_state_dict(model, to_load, /*strict=*/false, path);
  for (const auto& name : load_report.missing) {
    if (is_geometry_buffer(name) || starts_with(name, "head.")) continue;
    bool reinit = false;
    for (const auto& r : report.reinitialized) reinit = reinit || starts_with(r, name + ":");
    if (!reinit) report.missing.push_back(name);
  }
  return report;
}

}  // namespace focal::train
