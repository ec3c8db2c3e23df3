#include "train/checkpoint/training_checkpoint.h"

#include "focal/io/checkpoint.h"
#include "focal/io/checkpoint_writer.h"
#include "train/checkpoint/ivalue_dict.h"

#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace focal::train {

namespace {

c10::IValue state_dict_value(const io::StateDict& sd) {
  auto d = IValueDict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : sd) d.insert(name, tensor.detach().to(torch::kCPU));
  return d;
}

io::StateDict state_dict_of(const c10::IValue& value, const std::string& where) {
  auto d = as_dict(value, where);
  io::StateDict out;
  for (const auto& entry : d) {
    if (!entry.key().isString() || !entry.value().isTensor()) {
      throw std::runtime_error(where + ": entries must map names to tensors");
    }
    out.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
  }
  return out;
}

// The optimizer steps behind a PyTorch optimizer state: the largest per-parameter 'step' (AdamW), 0 without.
int64_t optimizer_steps(const c10::IValue& optimizer, const std::string& where) {
  if (!optimizer.isGenericDict()) return 0;
  auto d = optimizer.toGenericDict();
  if (!dict_has(d, "state") || !d.at("state").isGenericDict()) return 0;
  int64_t steps = 0;
  for (const auto& entry : d.at("state").toGenericDict()) {
    if (!entry.value().isGenericDict()) continue;
    auto s = entry.value().toGenericDict();
    if (dict_has(s, "step")) steps = std::max(steps, dict_int(s, "step", where + " 'optimizer' state"));
  }
  return steps;
}

std::string tensors(size_t n) { return std::to_string(n) + (n == 1 ? " tensor" : " tensors"); }

std::string groups_word(size_t n) {
  return std::to_string(n) + (n == 1 ? " parameter group" : " parameter groups");
}

// The weight decay of an optimizer group, as text ("" when the optimizer has none).
std::string weight_decay_of(const torch::optim::OptimizerOptions& options) {
  double wd = -1;
  if (auto* a = dynamic_cast<const torch::optim::AdamWOptions*>(&options)) wd = a->weight_decay();
  if (auto* g = dynamic_cast<const torch::optim::SGDOptions*>(&options)) wd = g->weight_decay();
  if (wd < 0) return "";
  return c10::str(" with weight decay ", wd);
}

bool has_string_key(const c10::IValue& value, const char* key) {
  return value.isGenericDict() && value.toGenericDict().keyType()->kind() == c10::TypeKind::StringType &&
         dict_has(value.toGenericDict(), key);
}

}  // namespace

c10::IValue checkpoint_to_ivalue(const TrainingCheckpoint& c) {
  auto d = make_dict();
  d.insert("model", state_dict_value(c.model));
  if (c.model_ema) d.insert("model_ema", state_dict_value(*c.model_ema));
  d.insert("optimizer", c.optimizer);
  d.insert("lr_scheduler", c.lr_scheduler);
  d.insert("scaler", c.scaler.isNone() ? c10::IValue(make_dict()) : c.scaler);
  d.insert("epoch", c.epoch);
  d.insert("step", c.step);
  d.insert("max_accuracy", c.max_accuracy);
  d.insert("max_accuracy_ema", c.max_accuracy_ema);
  auto rng = make_dict();
  if (c.rng_torch.defined()) rng.insert("torch", c.rng_torch);
  if (c.rng_cuda.defined()) rng.insert("cuda", c.rng_cuda);
  if (c.rng_mixup.defined()) rng.insert("mixup", c.rng_mixup);
  auto loader = make_dict();
  loader.insert("epoch", c.loader_epoch);
  loader.insert("next_batch", c.loader_next_batch);
  rng.insert("loader", loader);
  if (!c.rank_rng.empty()) {
    c10::impl::GenericList ranks(c10::AnyType::get());
    for (const auto& r : c.rank_rng) {
      auto one = make_dict();
      if (r.torch.defined()) one.insert("torch", r.torch);
      if (r.cuda.defined()) one.insert("cuda", r.cuda);
      if (r.mixup.defined()) one.insert("mixup", r.mixup);
      ranks.push_back(one);
    }
    rng.insert("ranks", ranks);
  }
  d.insert("rng", rng);
  d.insert("world_size", c.world_size);
  auto p = make_dict();
  p.insert("loss_sum", c.progress.loss_sum);
  p.insert("loss_count", c.progress.loss_count);
  p.insert("norm_sum", c.progress.norm_sum);
  p.insert("norm_count", c.progress.norm_count);
  p.insert("images", c.progress.images);
  p.insert("seconds", c.progress.seconds);
  d.insert("epoch_progress", p);
  d.insert("config", c.config_yaml);
  return d;
}

TrainingCheckpoint checkpoint_from_ivalue(const c10::IValue& value, const std::string& source) {
  auto d = as_dict(value, source);
  TrainingCheckpoint c;
  c.model = state_dict_of(dict_get(d, "model", source), source + " 'model'");
  if (dict_has(d, "model_ema")) c.model_ema = state_dict_of(d.at("model_ema"), source + " 'model_ema'");
  c.optimizer = dict_get(d, "optimizer", source);
  c.lr_scheduler = dict_get(d, "lr_scheduler", source);
  c.scaler = dict_has(d, "scaler") ? d.at("scaler") : c10::IValue(make_dict());
  c.epoch = dict_int(d, "epoch", source);
  c.step = dict_has(d, "step") ? dict_int(d, "step", source) : optimizer_steps(c.optimizer, source);
  c.max_accuracy = dict_has(d, "max_accuracy") ? dict_double(d, "max_accuracy", source) : 0.0;
  c.max_accuracy_ema = dict_has(d, "max_accuracy_ema") ? dict_double(d, "max_accuracy_ema", source) : 0.0;
  c.loader_epoch = c.epoch + 1;
  c.loader_next_batch = 0;
  if (dict_has(d, "rng")) {
    const std::string where = source + " 'rng'";
    auto rng = as_dict(d.at("rng"), where);
    if (dict_has(rng, "torch")) c.rng_torch = dict_tensor(rng, "torch", where);
    if (dict_has(rng, "cuda")) c.rng_cuda = dict_tensor(rng, "cuda", where);
    if (dict_has(rng, "mixup")) c.rng_mixup = dict_tensor(rng, "mixup", where);
    if (dict_has(rng, "loader")) {
      auto loader = as_dict(rng.at("loader"), where + " 'loader'");
      c.loader_epoch = dict_int(loader, "epoch", where + " 'loader'");
      c.loader_next_batch = dict_int(loader, "next_batch", where + " 'loader'");
    }
    if (dict_has(rng, "ranks")) {
      const auto ranks = rng.at("ranks");
      if (!ranks.isList()) throw std::runtime_error(where + " 'ranks' must be a list");
      for (const auto& item : ranks.toListRef()) {
        auto one = as_dict(item, where + " 'ranks'");
        RankRng r;
        if (dict_has(one, "torch")) r.torch = dict_tensor(one, "torch", where + " 'ranks'");
        if (dict_has(one, "cuda")) r.cuda = dict_tensor(one, "cuda", where + " 'ranks'");
        if (dict_has(one, "mixup")) r.mixup = dict_tensor(one, "mixup", where + " 'ranks'");
        c.rank_rng.push_back(r);
      }
    }
  }
  c.world_size = dict_has(d, "world_size") ? dict_int(d, "world_size", source) : 1;
  if (dict_has(d, "epoch_progress")) {
    const std::string where = source + " 'epoch_progress'";
    auto p = as_dict(d.at("epoch_progress"), where);
    c.progress.loss_sum = dict_double(p, "loss_sum", where);
    c.progress.loss_count = dict_double(p, "loss_count", where);
    c.progress.norm_sum = dict_double(p, "norm_sum", where);
    c.progress.norm_count = dict_double(p, "norm_count", where);
    c.progress.images = dict_double(p, "images", where);
    c.progress.seconds = dict_double(p, "seconds", where);
  }
  if (dict_has(d, "config") && d.at("config").isString()) c.config_yaml = d.at("config").toStringRef();
  c.layout = "training checkpoint";
  return c;
}

std::optional<std::string> optimizer_state_mismatch(const torch::optim::Optimizer& optimizer,
                                                    const c10::IValue& state) {
  std::vector<std::string> theirs;
  std::vector<size_t> their_sizes;
  if (state.isGenericDict() && dict_has(state.toGenericDict(), "param_groups") &&
      state.toGenericDict().at("param_groups").isList()) {
    for (const auto& g : state.toGenericDict().at("param_groups").toListRef()) {
      size_t n = 0;
      std::string wd;
      if (g.isGenericDict()) {
        auto gd = g.toGenericDict();
        if (dict_has(gd, "params") && gd.at("params").isList()) n = gd.at("params").toListRef().size();
        if (dict_has(gd, "weight_decay") &&
            (gd.at("weight_decay").isDouble() || gd.at("weight_decay").isInt())) {
          wd = c10::str(" with weight decay ", gd.at("weight_decay").toScalar().toDouble());
        }
      }
      their_sizes.push_back(n);
      theirs.push_back(tensors(n) + wd);
    }
  } else {
    return std::string("the checkpoint's optimizer state has no 'param_groups' list");
  }
  const auto& mine = optimizer.param_groups();
  bool same = mine.size() == their_sizes.size();
  for (size_t i = 0; same && i < mine.size(); ++i) same = mine[i].params().size() == their_sizes[i];
  if (same) return std::nullopt;
  auto join = [](const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
  };
  std::vector<std::string> ours;
  for (const auto& g : mine) ours.push_back(tensors(g.params().size()) + weight_decay_of(g.options()));
  return "the checkpoint's optimizer has " + groups_word(theirs.size()) + " (" + join(theirs) +
         "), this run's has " + groups_word(ours.size()) + " (" + join(ours) + ")";
}

TrainingCheckpoint resume_checkpoint_from_ivalue(const c10::IValue& value, const std::string& source) {
  // The condition of the original main.py's load_checkpoint for resuming more than the weights.
  std::vector<std::string> lacking;
  for (const char* key : {"model", "optimizer", "lr_scheduler", "epoch"}) {
    if (!has_string_key(value, key)) lacking.push_back(key);
  }
  if (lacking.empty()) return checkpoint_from_ivalue(value, source);
  TrainingCheckpoint c;
  c.weights_only = true;
  c.model = io::extract_state_dict(value, source);
  std::string under = "a bare state dict";
  for (const char* key : {"model", "state_dict", "model_ema", "state_dict_ema"}) {
    if (has_string_key(value, key) && value.toGenericDict().at(key).isGenericDict()) {
      under = std::string("under '") + key + "'";
      break;
    }
  }
  for (const char* key : {"model_ema", "state_dict_ema"}) {
    if (has_string_key(value, key) && under != std::string("under '") + key + "'") {
      c.model_ema = io::extract_state_dict(value, source, key);
      break;
    }
  }
  c.layout = "weights only (" + under + (c.model_ema ? ", with EMA weights" : "") + ")";
  if (lacking.size() < 4 && has_string_key(value, "optimizer")) {
    std::string missing;
    for (const auto& k : lacking) missing += (missing.empty() ? "'" : ", '") + k + "'";
    c.layout += "; it has an optimizer state but no " + missing + ", so only its weights are used";
  }
  return c;
}

void save_training_checkpoint(const std::filesystem::path& path, const TrainingCheckpoint& checkpoint) {
  io::save_pickle_file(path.string(), checkpoint_to_ivalue(checkpoint));
}

TrainingCheckpoint load_training_checkpoint(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path))
    throw std::runtime_error("checkpoint " + path.string() + " does not exist");
  return resume_checkpoint_from_ivalue(io::read_pickle_file(path.string()), path.string());
}

}  // namespace focal::train
