#include "train/training_checkpoint.h"

#include "focal/io/checkpoint.h"
#include "focal/io/checkpoint_writer.h"
#include "train/ivalue_dict.h"

#include <stdexcept>

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
  d.insert("rng", rng);
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
  c.step = dict_has(d, "step") ? dict_int(d, "step", source) : 0;
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
  }
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
  return c;
}

void save_training_checkpoint(const std::filesystem::path& path, const TrainingCheckpoint& checkpoint) {
  io::save_pickle_file(path.string(), checkpoint_to_ivalue(checkpoint));
}

TrainingCheckpoint load_training_checkpoint(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path))
    throw std::runtime_error("checkpoint " + path.string() + " does not exist");
  return checkpoint_from_ivalue(io::read_pickle_file(path.string()), path.string());
}

}  // namespace focal::train
