#pragma once
// The independent reference of fine-tuning at another window or resolution: PyTorch's bicubic
// interpolation (F.interpolate, align_corners=False, as the Focal and Swin code bases resize) of the
// checkpoint's tables, computed in Python from the checkpoint file itself.
//  - `relative_position_bias_table` (L, nH): nH grids of sqrt(L) x sqrt(L);
//  - window pooling weights (`pool_layers.*`, (1, w*w)): one grid, rescaled by (w*w) / (n*n) to keep its sum;
//  - other tables (`relative_position_bias_table_to_windows.*`, (nH, s*s)): nH grids.
#include <torch/nn/module.h>

#include <filesystem>
#include <string>
#include <vector>

namespace focal::test {

// Checks each tensor that fine-tuning reported as resized (PretrainedReport::resized, "name: [..] -> [..]")
// in `model` against that reference, within 1e-5 relative and 1e-6 absolute: writes the script into `dir`
// and runs it with `python` on `checkpoint` (a file with a 'model' dict, in the model's names).
void check_resized_as_bicubic(const std::string& python, const std::string& checkpoint,
                              const std::vector<std::string>& resized, torch::nn::Module& model,
                              const std::filesystem::path& dir);

}  // namespace focal::test
