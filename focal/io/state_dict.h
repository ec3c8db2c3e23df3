#pragma once
// State dicts: reading the weights out of a checkpoint (bare, or nested under model / state_dict / model_ema
// / state_dict_ema, with DataParallel's `module.` prefix removed) and copying them into a LibTorch module by
// the parameter and buffer names that the original PyTorch code uses.
#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>

#include <string>
#include <utility>
#include <vector>

namespace focal::io {

using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;  // file order

// `prefer` names the nested key to take when several exist (default order: model, state_dict, model_ema,
// state_dict_ema); a named key that is missing is an error. Non-tensor entries are skipped. Errors name
// `source_name`.
StateDict extract_state_dict(const c10::IValue& root, const std::string& source_name,
                             const std::string& prefer = "");

StateDict read_state_dict(const std::string& path, const std::string& prefer = "");

struct LoadReport {
  std::vector<std::string> loaded;
  std::vector<std::string> missing;     // in the module, not in the checkpoint
  std::vector<std::string> unexpected;  // in the checkpoint, not in the module
  std::vector<std::string> mismatched;  // "name: checkpoint [a, b] vs model [c, d]"

  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string summary() const;
};

// Copies every checkpoint tensor whose name and shape match a parameter or buffer of `module` (full dotted
// names), converting dtype, without recording gradients. With `strict`, any missing, unexpected or mismatched
// name throws std::runtime_error listing them all and naming `source`, and nothing is copied.
LoadReport load_state_dict(torch::nn::Module& module, const StateDict& state_dict, bool strict,
                           const std::string& source);

// Parameters then buffers, named as LibTorch names them (which matches PyTorch for the same module tree).
StateDict module_state_dict(const torch::nn::Module& module);

}  // namespace focal::io
