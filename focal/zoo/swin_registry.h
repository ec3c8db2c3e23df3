#pragma once
// The registered Swin Transformers of the Swin release: swin_{tiny,small,base}_patch4_window7_224 and
// swin_base_patch4_window12_384, with its hyper-parameters (drop path 0.2 / 0.3 / 0.5, 0.1 at 384).
#include "focal/config/config.h"
#include "focal/swin/swin_options.h"

#include <string>
#include <vector>

namespace focal {

std::vector<std::string> swin_model_names();
// Options of a registered model; an unknown name throws, listing the known ones.
swin::SwinTransformerOptions swin_registered_options(const std::string& name);
// MODEL.TYPE swin: DATA.IMG_SIZE, MODEL.NUM_CLASSES, MODEL.DROP_RATE, MODEL.DROP_PATH_RATE,
// TRAIN.USE_CHECKPOINT and MODEL.SWIN.* (as the Swin code base's build_model).
swin::SwinTransformerOptions swin_options_from_config(const Config& config);

}  // namespace focal
