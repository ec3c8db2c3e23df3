#pragma once
// The run folder <OUTPUT>/<MODEL.NAME>/<TAG>: everything a run writes lives there. It is created and probed
// for writing before any training starts, so a bad path fails in the first second, not after an epoch; a
// run that then fails before training removes the folders it created again, so no empty run folder stays.
#include <filesystem>
#include <string>
#include <vector>

namespace focal::train {

std::filesystem::path run_directory(const std::string& output_root, const std::string& model_name,
                                    const std::string& tag);
// Creates `dir` (and parents) and checks that a file can be created in it; throws naming the folder and the
// reason otherwise. Returns the folders it created, outermost first (empty when `dir` existed).
std::vector<std::filesystem::path> prepare_output_dir(const std::filesystem::path& dir);
// Removes the temporary files ("<name>.tmp<pid>", focal/io/atomic_write.h) that a process killed in the
// middle of a write left in `dir`; returns their names. Call before the run writes anything.
std::vector<std::string> remove_stale_temporaries(const std::filesystem::path& dir);
// Undoes prepare_output_dir for a run that failed before it produced anything: removes the files named in
// `own_files` from the innermost created folder, then every created folder that is empty, innermost first.
// Anything else in them (another run's files) keeps the folder. Returns whether the innermost one went.
bool remove_created_dirs(const std::vector<std::filesystem::path>& created,
                         const std::vector<std::string>& own_files);

// Calls remove_created_dirs when it is destroyed by an exception before keep(): the guard of the start of a
// run, so that a run failing on, say, a missing data path leaves no run folder behind.
class CreatedDirsGuard {
 public:
  CreatedDirsGuard(std::vector<std::filesystem::path> created, std::vector<std::string> own_files);
  ~CreatedDirsGuard();
  CreatedDirsGuard(const CreatedDirsGuard&) = delete;
  CreatedDirsGuard& operator=(const CreatedDirsGuard&) = delete;
  void keep() { created_.clear(); }

 private:
  std::vector<std::filesystem::path> created_;
  std::vector<std::string> own_files_;
  int exceptions_at_start_;
};

}  // namespace focal::train
