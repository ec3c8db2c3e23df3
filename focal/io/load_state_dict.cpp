#include <torch/torch.h>

#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "focal/io/state_dict.h"

namespace focal::io {
namespace {

std::string shape_text(at::IntArrayRef sizes) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < sizes.size(); ++i) s << (i ? ", " : "") << sizes[i];
  s << ']';
  return s.str();
}

void append_list(std::ostringstream& s, const char* label, const std::vector<std::string>& names) {
  s << "; " << names.size() << ' ' << label;
  if (names.empty()) return;
  s << ": ";
  for (size_t i = 0; i < names.size(); ++i) s << (i ? ", " : "") << names[i];
}

}  // namespace

std::string LoadReport::summary() const {
  std::ostringstream s;
  s << loaded.size() << " loaded";
  append_list(s, "missing", missing);
  append_list(s, "unexpected", unexpected);
  append_list(s, "mismatched", mismatched);
  return s.str();
}

LoadReport load_state_dict(torch::nn::Module& module, const StateDict& state_dict, bool strict,
                           const std::string& source) {
  std::unordered_map<std::string, torch::Tensor> targets;
  std::vector<std::string> order;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    targets.emplace(p.key(), p.value());
    order.push_back(p.key());
  }
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    if (!b.value().defined()) continue;
    targets.emplace(b.key(), b.value());
    order.push_back(b.key());
  }

  LoadReport report;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (target, source)
  std::unordered_set<std::string> seen;
  for (const auto& [name, tensor] : state_dict) {
    auto it = targets.find(name);
    if (it == targets.end() || !seen.insert(name).second) {
      report.unexpected.push_back(it == targets.end() ? name : name + " (repeated)");
      continue;
    }
    // A float tensor may be stored in another float precision (fp16 releases); an integer or boolean one
    // where a float is expected (or the reverse) is another tensor, not a conversion.
    if (it->second.is_floating_point() != tensor.is_floating_point() ||
        it->second.is_complex() != tensor.is_complex()) {
      report.mismatched.push_back(name + ": checkpoint dtype " +
                                  std::string(c10::toString(tensor.scalar_type())) + " vs model " +
                                  c10::toString(it->second.scalar_type()));
      continue;
    }
    if (it->second.sizes() != tensor.sizes()) {
      report.mismatched.push_back(name + ": checkpoint " + shape_text(tensor.sizes()) + " vs model " +
                                  shape_text(it->second.sizes()));
      continue;
    }
    copies.emplace_back(it->second, tensor);
    report.loaded.push_back(name);
  }
  for (const auto& name : order) {
    if (!seen.count(name)) report.missing.push_back(name);
  }
  if (strict && !report.ok()) {
    throw std::runtime_error(source + ": the state dict does not match the model: " + report.summary());
  }
  torch::NoGradGuard no_grad;
  for (auto& [target, value] : copies) target.copy_(value);
  return report;
}

}  // namespace focal::io
