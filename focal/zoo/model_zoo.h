#pragma once
// Every registered model of every family behind one interface: names, construction by name or from a
// configuration, and analytic size and cost.
#include "focal/config/config.h"
#include "focal/focal_v1/focal_complexity.h"
#include "focal/layers/backbone/classifier.h"

#include <string>
#include <vector>

namespace focal {

struct ModelEntry {
  std::string name;
  std::string family;  // "focal" | "focalv2" | "swin" | "halonet" (the MODEL.TYPE that builds it)
  int64_t img_size = 0;
};

std::vector<ModelEntry> registered_models();
ModelEntry registered_model(const std::string& name);  // throws for an unknown name, listing the known ones

// A freshly initialised registered model; num_classes < 0 keeps the registered 1000.
Classifier create_model(const std::string& name, int64_t num_classes = -1);
// MODEL.TYPE focal or focalv2 (MODEL.FOCAL.*, with FOCAL_TOPK for v2; DATA.IMG_SIZE, MODEL.NUM_CLASSES,
// MODEL.DROP_*) or halonet (MODEL.NAME of a registered HaloNet, MODEL.HALONET.*); TRAIN.USE_CHECKPOINT
// switches activation checkpointing on.
Classifier create_model_from_config(const Config& config);

// Parameters and multiply-accumulates at the model's registered input size.
ModelComplexity registered_model_complexity(const std::string& name);
ModelComplexity model_complexity_from_config(const Config& config);

}  // namespace focal
