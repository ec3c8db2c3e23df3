#include "train/recipe/optimizer_factory.h"

#include "train/checkpoint/ivalue_dict.h"
#include "train/recipe/fused_adamw.h"

#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <algorithm>
#include <stdexcept>

namespace focal::train {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool exempt_from_decay(const std::string& name, const torch::Tensor& p, const std::vector<std::string>& skip,
                       const std::vector<std::string>& skip_keywords) {
  if (p.dim() == 1 || ends_with(name, ".bias")) return true;
  if (std::find(skip.begin(), skip.end(), name) != skip.end()) return true;
  return std::any_of(skip_keywords.begin(), skip_keywords.end(),
                     [&](const std::string& k) { return !k.empty() && name.find(k) != std::string::npos; });
}

std::vector<torch::Tensor> all_params(const torch::optim::Optimizer& optimizer) {
  std::vector<torch::Tensor> out;
  for (const auto& g : optimizer.param_groups()) out.insert(out.end(), g.params().begin(), g.params().end());
  return out;
}

}  // namespace

WeightDecaySplit split_weight_decay(const torch::nn::Module& module, const std::vector<std::string>& skip,
                                    const std::vector<std::string>& skip_keywords) {
  WeightDecaySplit split;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    const auto& p = item.value();
    if (!p.requires_grad()) continue;  // frozen weights take no part in optimisation
    if (exempt_from_decay(item.key(), p, skip, skip_keywords)) {
      split.no_decay_names.push_back(item.key());
      split.no_decay.push_back(p);
    } else {
      split.decay_names.push_back(item.key());
      split.decay.push_back(p);
    }
  }
  return split;
}

std::unique_ptr<torch::optim::Optimizer> build_optimizer(const OptimizerOptions& options,
                                                         const WeightDecaySplit& split) {
  if (options.name() == "adamw") {
    auto decay = torch::optim::AdamWOptions(options.lr())
                     .betas({options.beta1(), options.beta2()})
                     .eps(options.eps())
                     .weight_decay(options.weight_decay());
    auto no_decay = decay;
    no_decay.weight_decay(0.0);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(split.decay, std::make_unique<torch::optim::AdamWOptions>(decay));
    groups.emplace_back(split.no_decay, std::make_unique<torch::optim::AdamWOptions>(no_decay));
    if (options.fused()) return std::make_unique<FusedAdamW>(groups, decay);
    return std::make_unique<torch::optim::AdamW>(groups, decay);
  }
  if (options.name() == "sgd") {
    auto decay = torch::optim::SGDOptions(options.lr())
                     .momentum(options.momentum())
                     .nesterov(true)
                     .weight_decay(options.weight_decay());
    auto no_decay = decay;
    no_decay.weight_decay(0.0);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(split.decay, std::make_unique<torch::optim::SGDOptions>(decay));
    groups.emplace_back(split.no_decay, std::make_unique<torch::optim::SGDOptions>(no_decay));
    return std::make_unique<torch::optim::SGD>(groups, decay);
  }
  throw std::invalid_argument("TRAIN.OPTIMIZER.NAME: unknown optimizer '" + options.name() +
                              "' (expected adamw or sgd)");
}

c10::IValue optimizer_state_dict(const torch::optim::Optimizer& optimizer, const OptimizerOptions& options) {
  const bool adamw = options.name() == "adamw";
  const auto* fused = dynamic_cast<const FusedAdamW*>(&optimizer);
  auto state = IValueDict(c10::IntType::get(), c10::AnyType::get());
  c10::List<c10::IValue> groups(c10::AnyType::get());
  int64_t index = 0;
  for (const auto& g : optimizer.param_groups()) {
    c10::List<int64_t> ids;
    for (const auto& p : g.params()) {
      auto it = optimizer.state().find(p.unsafeGetTensorImpl());
      if (it != optimizer.state().end()) {
        auto s = make_dict();
        if (adamw) {
          const auto& a = static_cast<const torch::optim::AdamWParamState&>(*it->second);
          // PyTorch keeps the step count as a float32 scalar tensor.
          const int64_t step = fused != nullptr ? fused->step_count(p) : a.step();  // fused: on the device
          s.insert("step", torch::tensor(static_cast<float>(step)));
          s.insert("exp_avg", a.exp_avg());
          s.insert("exp_avg_sq", a.exp_avg_sq());
        } else {
          const auto& m = static_cast<const torch::optim::SGDParamState&>(*it->second);
          s.insert("momentum_buffer", m.momentum_buffer());
        }
        state.insert(index, s);
      }
      ids.push_back(index++);
    }
    auto gd = make_dict();
    gd.insert("lr", g.options().get_lr());
    if (adamw) {
      const auto& o = static_cast<const torch::optim::AdamWOptions&>(g.options());
      gd.insert("betas", c10::ivalue::Tuple::create(std::get<0>(o.betas()), std::get<1>(o.betas())));
      gd.insert("eps", o.eps());
      gd.insert("weight_decay", o.weight_decay());
      gd.insert("amsgrad", o.amsgrad());
    } else {
      const auto& o = static_cast<const torch::optim::SGDOptions&>(g.options());
      gd.insert("momentum", o.momentum());
      gd.insert("dampening", o.dampening());
      gd.insert("nesterov", o.nesterov());
      gd.insert("weight_decay", o.weight_decay());
    }
    gd.insert("params", ids);
    groups.push_back(gd);
  }
  auto out = make_dict();
  out.insert("state", state);
  out.insert("param_groups", groups);
  return out;
}

void load_optimizer_state_dict(torch::optim::Optimizer& optimizer, const OptimizerOptions& options,
                               const c10::IValue& value) {
  const std::string where = "optimizer state";
  const bool adamw = options.name() == "adamw";
  auto d = as_dict(value, where);
  auto groups_value = dict_get(d, "param_groups", where);
  if (!groups_value.isList()) throw std::runtime_error(where + ": 'param_groups' is not a list");
  auto groups = groups_value.toList();
  auto& mine = optimizer.param_groups();
  if (groups.size() != mine.size()) {
    throw std::runtime_error(where + ": " + std::to_string(groups.size()) +
                             " parameter groups in the checkpoint, " + std::to_string(mine.size()) +
                             " in the optimizer");
  }
  for (size_t i = 0; i < mine.size(); ++i) {
    auto gd = as_dict(groups.get(i), where + " param_groups[" + std::to_string(i) + "]");
    auto ids = dict_get(gd, "params", where);
    size_t n = ids.isList() ? ids.toListRef().size() : 0;
    if (n != mine[i].params().size()) {
      throw std::runtime_error(where + ": group " + std::to_string(i) + " has " + std::to_string(n) +
                               " parameters in the checkpoint, " + std::to_string(mine[i].params().size()) +
                               " in the model");
    }
    mine[i].options().set_lr(dict_double(gd, "lr", where));
  }
  auto state = as_dict(dict_get(d, "state", where), where + " 'state'");
  auto params = all_params(optimizer);
  optimizer.state().clear();
  for (const auto& entry : state) {
    int64_t index = entry.key().isInt() ? entry.key().toInt() : -1;
    if (index < 0 || index >= static_cast<int64_t>(params.size())) {
      throw std::runtime_error(where + ": parameter index " + c10::str(entry.key()) + " is out of range");
    }
    const auto& p = params[static_cast<size_t>(index)];
    const std::string pw = where + " state[" + std::to_string(index) + "]";
    auto s = as_dict(entry.value(), pw);
    auto check = [&](const torch::Tensor& t, const char* key) {
      if (!t.sizes().equals(p.sizes())) {
        throw std::runtime_error(pw + ": '" + key + "' has shape " + c10::str(t.sizes()) +
                                 ", parameter has " + c10::str(p.sizes()));
      }
      return t.to(p.device(), p.scalar_type()).clone();
    };
    if (adamw) {
      auto a = std::make_unique<torch::optim::AdamWParamState>();
      a->step(dict_int(s, "step", pw));
      a->exp_avg(check(dict_tensor(s, "exp_avg", pw), "exp_avg"));
      a->exp_avg_sq(check(dict_tensor(s, "exp_avg_sq", pw), "exp_avg_sq"));
      optimizer.state()[p.unsafeGetTensorImpl()] = std::move(a);
    } else {
      auto m = std::make_unique<torch::optim::SGDParamState>();
      m->momentum_buffer(check(dict_tensor(s, "momentum_buffer", pw), "momentum_buffer"));
      optimizer.state()[p.unsafeGetTensorImpl()] = std::move(m);
    }
  }
  if (auto* fused = dynamic_cast<FusedAdamW*>(&optimizer)) fused->reset_step_tensors();
}

}  // namespace focal::train
