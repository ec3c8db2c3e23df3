#pragma once
// Checks a model against reference tensors of its original implementation (the `.io.pth` layout of
// ../shared/fixtures/focal): stage outputs and logits in eval mode, loss and gradients in train mode, each
// against the fixtures' float32 tolerances. Any family: Focal (v1, v2) from the fixtures' JSON or a YAML
// configuration, Swin and HaloNet from a YAML configuration.
#include "focal/focal_v1/focal_transformer.h"

#include <c10/core/Device.h>

#include <map>
#include <string>
#include <vector>

namespace focal::eval {

struct Tolerances {
  double outputs = 1e-4;    // stage outputs, logits: max abs difference
  double loss = 1e-5;       // absolute
  double gradients = 1e-4;  // max abs difference relative to the largest reference magnitude of the tensor
};

struct VerifyRow {
  std::string name;   // reference key, e.g. "stage2", "logits", "grad.head.weight"
  double difference;  // max abs (relative for gradients)
  double tolerance;
  bool passed;
};

struct VerifyResult {
  std::vector<VerifyRow> rows;
  std::vector<std::string> problems;  // missing or mis-shaped references, parameters without reference
  bool passed() const;
};

// Focal model options from either the constructor-argument JSON of the fixtures or a YAML configuration.
FocalTransformerOptions options_from_config_file(const std::string& path);

// The model of a configuration file: the fixtures' JSON (model_type focal or focalv2) or any YAML
// configuration (MODEL.TYPE focal, focalv2, swin, halonet). References are made without stochastic
// depth, so MODEL.DROP_PATH_RATE is set to 0 for YAML files.
Classifier model_from_config_file(const std::string& path);

VerifyResult verify_model(ClassifierImpl& model, const std::map<std::string, torch::Tensor>& reference,
                          const torch::Device& device, const Tolerances& tolerances = {});
VerifyResult verify_focal(FocalTransformer& model, const std::map<std::string, torch::Tensor>& reference,
                          const torch::Device& device, const Tolerances& tolerances = {});

}  // namespace focal::eval
