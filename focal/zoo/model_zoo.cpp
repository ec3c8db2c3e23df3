#include "focal/zoo/model_zoo.h"

#include "focal/config/focal_options.h"
#include "focal/focal_v1/focal_transformer.h"
#include "focal/halonet/halonet_complexity.h"
#include "focal/halonet/halonet_zoo.h"
#include "focal/swin/swin_complexity.h"
#include "focal/swin/swin_transformer.h"
#include "focal/zoo/focal_registry.h"
#include "focal/zoo/swin_registry.h"

#include <stdexcept>

namespace focal {
namespace {

constexpr const char* kFamilies = "focal, focalv2, swin or halonet";

halonet::HaloNetOptions halonet_options_from_config(const Config& config) {
  return halonet::halonet_options(config.get<std::string>("MODEL.NAME"))
      .num_classes(config.get<int64_t>("MODEL.NUM_CLASSES"))
      .img_size(config.get<int64_t>("DATA.IMG_SIZE"))
      .act_layer(config.get<std::string>("MODEL.HALONET.ACT_LAYER"))
      .use_se(config.get<bool>("MODEL.HALONET.USE_SE"))
      .num_heads(config.get<int64_t>("MODEL.HALONET.NUM_HEADS"))
      .drop_rate(config.get<double>("MODEL.DROP_RATE"))
      .drop_path_rate(config.get<double>("MODEL.DROP_PATH_RATE"));
}

ModelComplexity halonet_complexity(const halonet::HaloNetOptions& options) {
  halonet::HaloNet model(options);
  return {halonet::count_parameters(*model), halonet::halonet_macs(options)};
}

}  // namespace

std::vector<ModelEntry> registered_models() {
  std::vector<ModelEntry> entries;
  for (const auto& name : focal_model_names()) {
    const auto options = focal_registered_options(name);
    entries.push_back({name, options.model_type(), options.img_size()});
  }
  for (const auto& name : swin_model_names()) {
    entries.push_back({name, "swin", swin_registered_options(name).img_size()});
  }
  for (const auto& name : halonet::halonet_model_names()) {
    entries.push_back({name, "halonet", halonet::halonet_options(name).img_size()});
  }
  return entries;
}

ModelEntry registered_model(const std::string& name) {
  const std::string canonical = canonical_focal_name(name);
  std::string known;
  for (const auto& entry : registered_models()) {
    if (entry.name == canonical) return entry;
    known += " " + entry.name;
  }
  throw std::invalid_argument("unknown model '" + name + "'; registered:" + known);
}

Classifier create_model(const std::string& name, int64_t num_classes) {
  const ModelEntry entry = registered_model(name);
  if (entry.family == "focal" || entry.family == "focalv2") {
    auto options = focal_registered_options(entry.name);
    if (num_classes >= 0) options.num_classes(num_classes);
    return FocalTransformer(options).ptr();
  }
  if (entry.family == "swin") {
    auto options = swin_registered_options(name);
    if (num_classes >= 0) options.num_classes(num_classes);
    return swin::SwinTransformer(options).ptr();
  }
  return halonet::create_halonet_classifier(name, num_classes >= 0 ? num_classes : 1000);
}

Classifier create_model_from_config(const Config& config) {
  const auto type = config.get<std::string>("MODEL.TYPE");
  Classifier model;
  if (type == "focal" || type == "focalv2") {
    model = FocalTransformer(focal_options_from_config(config)).ptr();
  } else if (type == "swin") {
    model = swin::SwinTransformer(swin_options_from_config(config)).ptr();
  } else if (type == "halonet") {
    model = halonet::HaloNet(halonet_options_from_config(config)).ptr();
  } else {
    throw std::invalid_argument("MODEL.TYPE '" + type + "' is not a model family (" + kFamilies + ")");
  }
  if (config.get<bool>("TRAIN.USE_CHECKPOINT")) model->set_grad_checkpointing(true);
  return model;
}

ModelComplexity registered_model_complexity(const std::string& name) {
  const ModelEntry entry = registered_model(name);
  if (entry.family == "focal" || entry.family == "focalv2")
    return focal_complexity(focal_registered_options(entry.name));
  if (entry.family == "swin") return swin::swin_complexity(swin_registered_options(name));
  return halonet_complexity(halonet::halonet_options(name));
}

ModelComplexity model_complexity_from_config(const Config& config) {
  const auto type = config.get<std::string>("MODEL.TYPE");
  if (type == "focal" || type == "focalv2") return focal_complexity(focal_options_from_config(config));
  if (type == "swin") return swin::swin_complexity(swin_options_from_config(config));
  if (type == "halonet") return halonet_complexity(halonet_options_from_config(config));
  throw std::invalid_argument("MODEL.TYPE '" + type + "' is not a model family (" + kFamilies + ")");
}

}  // namespace focal
