#include "eval/verify.h"

#include "focal/config/config.h"
#include "focal/config/focal_options.h"
#include "focal/io/checkpoint.h"
#include "focal/runtime/autocast_scope.h"
#include "focal/zoo/model_zoo.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace focal::eval {
namespace {

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64).cpu() - b.to(torch::kFloat64).cpu()).abs().max().item<double>();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Tolerances bf16_tolerances() {
  Tolerances t;
  t.outputs = 5e-2;
  t.loss = 5e-3;
  t.gradients = 5e-1;
  t.relative = true;
  t.gradients_model_scale = true;
  t.gradients_all = 1.5e-1;
  return t;
}

bool VerifyResult::passed() const {
  return problems.empty() && !rows.empty() &&
         std::all_of(rows.begin(), rows.end(), [](const VerifyRow& r) { return r.passed; });
}

std::map<std::string, torch::Tensor> read_reference(const std::string& path) {
  std::map<std::string, torch::Tensor> reference;
  const auto root = io::read_pickle_file(path);
  if (!root.isGenericDict()) throw std::runtime_error(path + ": not a dict of tensors");
  for (const auto& entry : root.toGenericDict()) {
    if (entry.key().isString() && entry.value().isTensor()) {
      reference[entry.key().toStringRef()] = entry.value().toTensor();
    }
  }
  return reference;
}

FocalTransformerOptions options_from_config_file(const std::string& path) {
  if (ends_with(path, ".json")) return focal_options_from_json(path);
  return focal_options_from_config(Config::from_file(path));
}

Classifier model_from_config_file(const std::string& path) {
  if (ends_with(path, ".json")) return FocalTransformer(focal_options_from_json(path)).ptr();
  auto config = Config::from_file(path);
  config.merge_opts({"MODEL.DROP_PATH_RATE", "0.0"});
  return create_model_from_config(config);
}

VerifyResult verify_focal(FocalTransformer& model, const std::map<std::string, torch::Tensor>& reference,
                          const torch::Device& device, const Tolerances& tol) {
  return verify_model(*model, reference, device, tol);
}

VerifyResult verify_model(ClassifierImpl& model,
                          const std::map<std::string, torch::Tensor>& original_reference,
                          const torch::Device& device, const Tolerances& tol,
                          std::optional<c10::ScalarType> autocast) {
  VerifyResult result;
  // Gradients are named like the reference's weights: put them into the model's names the same way.
  std::map<std::string, torch::Tensor> reference;
  std::vector<std::pair<std::string, torch::Tensor>> grads;
  for (const auto& [key, value] : original_reference) {
    if (key.rfind("grad.", 0) == 0) {
      grads.emplace_back(key.substr(5), value);
    } else {
      reference[key] = value;
    }
  }
  if (!grads.empty()) {
    for (auto& [key, value] : model.adapt_checkpoint(grads)) reference["grad." + key] = value;
  }
  // The model's largest reference gradient magnitude (Tolerances::gradients_model_scale).
  double model_grad_scale = 0;
  for (const auto& [key, value] : reference) {
    if (key.rfind("grad.", 0) == 0)
      model_grad_scale = std::max(model_grad_scale, value.abs().max().item<double>());
  }
  // relative: divided by `scale` when given, else by the reference tensor's largest magnitude.
  auto compare = [&](const std::string& key, const torch::Tensor& actual, double tolerance, bool relative,
                     double scale = 0) {
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
    if (relative) diff /= std::max(scale > 0 ? scale : it->second.abs().max().item<double>(), 1e-12);
    result.rows.push_back({key, diff, tolerance, diff <= tolerance});
  };
  const auto input_it = reference.find("input");
  if (input_it == reference.end()) {
    result.problems.push_back("the reference has no 'input' tensor");
    return result;
  }
  model.to(device);
  const auto input = input_it->second.to(device);

  model.eval();
  {
    torch::NoGradGuard no_grad;
    AutocastScope scope(device.type(), autocast);
    auto features = model.forward_all(input, /*with_stages=*/true);
    compare("patch_embed", features.patch_embed, tol.outputs, tol.relative);
    for (size_t i = 0; i < features.stages.size(); ++i) {
      compare("stage" + std::to_string(i), features.stages[i], tol.outputs, tol.relative);
    }
    // Families whose references hold their pooled features (HaloNet from timm) compare those too.
    compare("features", features.pooled, tol.outputs, tol.relative);
    compare("logits", model.forward_head(features.pooled), tol.outputs, tol.relative);
  }

  const auto target = reference.find("target");
  if (target != reference.end() && reference.count("loss")) {
    model.train();
    model.zero_grad();
    torch::Tensor loss;
    {
      AutocastScope scope(device.type(), autocast);  // backward outside, as the trainer runs it
      loss = torch::nn::functional::cross_entropy(model.forward(input), target->second.to(device));  // ()
    }
    compare("loss", loss.detach(), tol.loss, tol.relative);
    loss.backward();
    double diff_sq = 0, ref_sq = 0;  // over every compared gradient
    for (const auto& p : model.named_parameters()) {
      const std::string key = "grad." + p.key();
      if (!reference.count(key)) continue;
      if (!p.value().grad().defined()) {
        result.problems.push_back(p.key() + ": no gradient reached this parameter");
        continue;
      }
      compare(key, p.value().grad(), tol.gradients, true, tol.gradients_model_scale ? model_grad_scale : 0);
      const auto& ref = reference.at(key);
      if (tol.gradients_all > 0 && p.value().grad().numel() == ref.numel()) {
        const auto r = ref.to(torch::kFloat64).cpu().reshape({-1});               // (n,)
        const auto g = p.value().grad().to(torch::kFloat64).cpu().reshape({-1});  // (n,)
        diff_sq += (g - r).square().sum().item<double>();
        ref_sq += r.square().sum().item<double>();
      }
    }
    if (tol.gradients_all > 0 && ref_sq > 0) {
      const double all = std::sqrt(diff_sq / ref_sq);
      result.rows.push_back(
          {"grad (all parameters, relative L2)", all, tol.gradients_all, all <= tol.gradients_all});
    }
    model.eval();
  }
  return result;
}

}  // namespace focal::eval
