#pragma once
// A PNG of the training curves drawn with OpenCV: three panels (loss, learning rate, top-1 accuracy) over
// epochs, each with axes, tick labels, a title and a legend.
#include "train/epoch_record.h"

#include <filesystem>
#include <vector>

namespace focal::train {

struct PlotOptions {
  int panel_width = 480;
  int panel_height = 360;
};

// Writes the plot to `path` (temporary file, then rename). Needs at least one record.
void plot_training_curves(const std::vector<EpochRecord>& records, const std::filesystem::path& path,
                          const PlotOptions& options = {});

}  // namespace focal::train
