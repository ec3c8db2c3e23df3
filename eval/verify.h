#pragma once
// Checks a model against reference tensors of its original implementation (the `.io.pth` layout of
// ../shared/fixtures/focal): stage outputs and logits in eval mode, loss and gradients in train mode, each
// against the fixtures' float32 tolerances, or, run under bfloat16 autocast as the trainer's TRAIN.AMP bf16
// runs, against the bf16 tolerances below. Any family: Focal (v1, v2) from the fixtures' JSON or a YAML
// configuration, Swin and HaloNet from a YAML configuration.
#include "focal/focal_v1/focal_transformer.h"

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace focal::eval {

struct Tolerances {
  double outputs = 1e-4;    // stage outputs, logits: max abs difference
  double loss = 1e-5;       // absolute
  double gradients = 1e-4;  // max abs difference relative to the largest reference magnitude of the tensor
  // Outputs and loss also relative to the largest reference magnitude of the tensor (bf16).
  bool relative = false;
  // Gradients relative to the largest reference gradient magnitude of the whole model instead of the
  // tensor's own (bf16): a gradient that is a cancelling sum over tokens (LayerNorm biases) is small next to
  // its terms, and bfloat16 rounding of those terms moves it by up to 90% of its own size, in PyTorch's own
  // bf16 autocast as in ours.
  bool gradients_model_scale = false;
  // > 0: also the relative L2 difference of all gradients together, ||g - ref|| / ||ref|| (bf16).
  double gradients_all = 0;
};

// float32 references of the original run under bfloat16 autocast (matmuls and convolutions in bfloat16,
// float32 weights, gradients and loss): every tensor's max abs difference relative to its largest reference
// magnitude. Measured on the CPU over every fixture of ../shared/fixtures/{focal,focalv2}, timm's Swin (the
// test_swin references) and HaloNet-H1 (PERFORMANCE.md, "bf16 parity"); these are about 3x the largest
// deviations seen.
Tolerances bf16_tolerances();

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

// The reference tensors of an `.io.pth` file (a dict of tensors saved with torch.save); throws naming the
// file when it is not one.
std::map<std::string, torch::Tensor> read_reference(const std::string& path);

// Focal model options from either the constructor-argument JSON of the fixtures or a YAML configuration.
FocalTransformerOptions options_from_config_file(const std::string& path);

// The model of a configuration file: the fixtures' JSON (model_type focal or focalv2) or any YAML
// configuration (MODEL.TYPE focal, focalv2, swin, halonet). References are made without stochastic
// depth, so MODEL.DROP_PATH_RATE is set to 0 for YAML files.
Classifier model_from_config_file(const std::string& path);

// `autocast`: run forward (and the loss) under autocast to this dtype (bfloat16 or float16); none: float32.
VerifyResult verify_model(ClassifierImpl& model, const std::map<std::string, torch::Tensor>& reference,
                          const torch::Device& device, const Tolerances& tolerances = {},
                          std::optional<c10::ScalarType> autocast = std::nullopt);
VerifyResult verify_focal(FocalTransformer& model, const std::map<std::string, torch::Tensor>& reference,
                          const torch::Device& device, const Tolerances& tolerances = {});

}  // namespace focal::eval
