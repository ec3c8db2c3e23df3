#pragma once
// A PNG of the training curves drawn with OpenCV: three panels (loss, learning rate, top-1 accuracy) over
// epochs, each with axes, tick labels, a title and a legend.
#include "train/output/epoch_record.h"

#include <filesystem>
#include <string>
#include <vector>

namespace focal::train {

struct PlotOptions {
  int panel_width = 480;
  int panel_height = 360;
};

// Labels of one axis's ticks: the fewest digits that keep neighbouring ticks apart (1.630, 1.632, ... rather
// than 1.63 four times), no "-0", scientific notation for very small or large magnitudes (learning rates).
std::vector<std::string> tick_labels(const std::vector<double>& ticks);

// Writes the plot to `path` (temporary file, then rename). Needs at least one record.
void plot_training_curves(const std::vector<EpochRecord>& records, const std::filesystem::path& path,
                          const PlotOptions& options = {});

}  // namespace focal::train
