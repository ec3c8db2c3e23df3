#pragma once
// Registered HaloNet configurations H0-H7 (paper Table 2 / shared spec): block size b, halo h, value ratio
// r_v, bottleneck ratio r_b, stage-3 depth l3, input size, final feature width d_f.
#include "focal/halonet/halonet.h"
#include "focal/halonet/halonet_options.h"
#include "focal/layers/backbone/classifier.h"

#include <string>
#include <vector>

namespace focal::halonet {

// "halonet_h0" ... "halonet_h7", in order.
std::vector<std::string> halonet_model_names();
// Options of a registered model; unknown names throw std::invalid_argument listing the known ones.
HaloNetOptions halonet_options(const std::string& name);
// A freshly initialised registered model with `num_classes` outputs.
HaloNet create_halonet(const std::string& name, int64_t num_classes = 1000);
// The same, as the project-wide classifier interface.
focal::Classifier create_halonet_classifier(const std::string& name, int64_t num_classes = 1000);

}  // namespace focal::halonet
