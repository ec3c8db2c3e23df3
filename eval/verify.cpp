#include "eval/verify.h"

#include "focal/config/config.h"
#include "focal/config/focal_options.h"

#include <torch/torch.h>

#include <algorithm>

namespace focal::eval {
namespace {

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64).cpu() - b.to(torch::kFloat64).cpu()).abs().max().item<double>();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool VerifyResult::passed() const {
  return problems.empty() && !rows.empty() &&
         std::all_of(rows.begin(), rows.end(), [](const VerifyRow& r) { return r.passed; });
}

FocalTransformerOptions options_from_config_file(const std::string& path) {
  if (ends_with(path, ".json")) return focal_options_from_json(path);
  return focal_options_from_config(Config::from_file(path));
}

VerifyResult verify_focal(FocalTransformer& model, const std::map<std::string, torch::Tensor>& reference,
                          const torch::Device& device, const Tolerances& tol) {
  VerifyResult result;
  auto compare = [&](const std::string& key, const torch::Tensor& actual, double tolerance, bool relative) {
    const auto it = reference.find(key);
    if (it == reference.end()) return;
    // A scalar saved as [1] (the fixtures' loss) compares by value; other shape differences are problems.
    if (actual.sizes() != it->second.sizes() && actual.numel() != it->second.numel()) {
      std::ostringstream msg;
      msg << key << ": shape " << actual.sizes() << " vs reference " << it->second.sizes();
      result.problems.push_back(msg.str());
      return;
    }
    double diff = max_abs_diff(actual.reshape(it->second.sizes()), it->second);
    if (relative) diff /= std::max(it->second.abs().max().item<double>(), 1e-12);
    result.rows.push_back({key, diff, tolerance, diff <= tolerance});
  };
  const auto input_it = reference.find("input");
  if (input_it == reference.end()) {
    result.problems.push_back("the reference has no 'input' tensor");
    return result;
  }
  model->to(device);
  const auto input = input_it->second.to(device);

  model->eval();
  {
    torch::NoGradGuard no_grad;
    auto features = model->forward_all(input, /*with_stages=*/true);
    compare("patch_embed", features.patch_embed, tol.outputs, false);
    for (size_t i = 0; i < features.stages.size(); ++i) {
      compare("stage" + std::to_string(i), features.stages[i], tol.outputs, false);
    }
    compare("logits", model->head ? model->head->forward(features.pooled) : features.pooled, tol.outputs,
            false);
  }

  const auto target = reference.find("target");
  if (target != reference.end() && reference.count("loss")) {
    model->train();
    model->zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(input), target->second.to(device));
    compare("loss", loss.detach(), tol.loss, false);
    loss.backward();
    for (const auto& p : model->named_parameters()) {
      const std::string key = "grad." + p.key();
      if (!reference.count(key)) continue;
      if (!p.value().grad().defined()) {
        result.problems.push_back(p.key() + ": no gradient reached this parameter");
        continue;
      }
      compare(key, p.value().grad(), tol.gradients, true);
    }
    model->eval();
  }
  return result;
}

}  // namespace focal::eval
