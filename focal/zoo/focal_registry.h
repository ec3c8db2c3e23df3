#pragma once
// The registered Focal Transformer configurations of the paper (Focal-T/S/B, with and without the
// convolutional patch embedding) and of the released Focal-v2 models, with the original hyper-parameters.
#include "focal/focal_v1/focal_transformer_options.h"

#include <string>
#include <vector>

namespace focal {

// focal_{tiny,small,base}_patch4_window7_224, focal_{tiny,small,base}_useconv_patch4_window7_224 and the
// Focal-v2 models focalv2_{tiny,small,base}_useconv_patch4_window7_224 (top-K 128, as released).
std::vector<std::string> focal_model_names();
// The registered name of `name`: focalv2_X_patch4_window7_224 (the released v2 YAML's MODEL.NAME) is
// focalv2_X_useconv_patch4_window7_224; other names are returned as they are.
std::string canonical_focal_name(const std::string& name);
bool is_focal_model(const std::string& name);
// Options of a registered model; an unknown name throws, listing the known ones.
FocalTransformerOptions focal_registered_options(const std::string& name);

}  // namespace focal
