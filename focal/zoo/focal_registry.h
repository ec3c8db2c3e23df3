#pragma once
// The registered Focal Transformer configurations of the paper (Focal-T/S/B, with and without the
// convolutional patch embedding), with the original hyper-parameters.
#include "focal/focal_v1/focal_transformer_options.h"

#include <string>
#include <vector>

namespace focal {

// focal_{tiny,small,base}_patch4_window7_224 and focal_{tiny,small,base}_useconv_patch4_window7_224.
std::vector<std::string> focal_model_names();
bool is_focal_model(const std::string& name);
// Options of a registered model; an unknown name throws, listing the known ones.
FocalTransformerOptions focal_registered_options(const std::string& name);

}  // namespace focal
