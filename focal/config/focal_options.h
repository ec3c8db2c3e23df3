#pragma once
// Focal Transformer constructor arguments from a configuration (the original's build_model mapping) or
// from the constructor-argument JSON files of the golden fixtures.
#include "focal/config/config.h"
#include "focal/focal_v1/focal_transformer_options.h"

#include <cstdint>
#include <string>

namespace focal {

// DATA.IMG_SIZE, MODEL.NUM_CLASSES, MODEL.DROP_RATE, MODEL.DROP_PATH_RATE, TRAIN.USE_CHECKPOINT and
// MODEL.FOCAL.* -> options, as the original build_model (MODEL.TYPE focalv2: the v2 model with
// MODEL.FOCAL.FOCAL_TOPK). Throws ConfigError when MODEL.TYPE is neither "focal" nor "focalv2", or when a
// per-stage list (NUM_HEADS, FOCAL_LEVELS, ...) is shorter than DEPTHS.
FocalTransformerOptions focal_options_from_config(const Config& config);

// The constructor keyword arguments stored as JSON (`{"embed_dim": 16, "depths": [2, 2, 2, 2], ...}`); keys
// not given keep their defaults. `num_params` and `macs` are informational and ignored; any other key that
// is not a constructor argument, or a value of the wrong type, is a ConfigError naming the key and file.
FocalTransformerOptions focal_options_from_json(const std::string& path);

// The informational `num_params` / `macs` entries of such a file (ConfigError when absent).
int64_t json_expected_params(const std::string& path);
double json_expected_macs(const std::string& path);

}  // namespace focal
