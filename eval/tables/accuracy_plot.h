#pragma once
// focal-tables --plot: top-1 accuracy against GFLOPs as a PNG (OpenCV), published points (filled circles) and
// measured ones (our MACs and focal-eval's top-1, crosses), each labelled with its model.
#include "eval/tables/table_report.h"

#include <filesystem>
#include <vector>

namespace focal::eval {

// Writes the plot (temporary file, then rename); returns the number of points drawn.
int plot_accuracy_vs_flops(const std::vector<TableReport>& reports, const std::filesystem::path& path);

}  // namespace focal::eval
