#pragma once
// The run folder <OUTPUT>/<MODEL.NAME>/<TAG>: everything a run writes lives there. It is created and probed
// for writing before any training starts, so a bad path fails in the first second, not after an epoch.
#include <filesystem>
#include <string>

namespace focal::train {

std::filesystem::path run_directory(const std::string& output_root, const std::string& model_name,
                                    const std::string& tag);
// Creates `dir` (and parents) and checks that a file can be created in it; throws naming the folder and the
// reason otherwise.
void prepare_output_dir(const std::filesystem::path& dir);

}  // namespace focal::train
