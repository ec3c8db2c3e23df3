#include "train/distributed/run_consistency.h"

#include <sstream>
#include <vector>

namespace focal::train {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

size_t indent_of(const std::string& line) { return line.find_first_not_of(' '); }

// The dotted key of line `i` of a YAML dump with one key per line and nested sections by indentation.
std::string dotted_key(const std::vector<std::string>& lines, size_t i) {
  const std::string& line = lines[i];
  size_t indent = indent_of(line);
  if (indent == std::string::npos) return "";
  std::string key = line.substr(indent, line.find(':', indent) - indent);
  for (size_t j = i; j-- > 0 && indent > 0;) {
    const size_t ind = indent_of(lines[j]);
    if (ind == std::string::npos || ind >= indent) continue;
    key = lines[j].substr(ind, lines[j].find(':', ind) - ind) + "." + key;
    indent = ind;
  }
  return key;
}

std::string value_of(const std::string& line) {
  const auto colon = line.find(':');
  if (colon == std::string::npos) return line;
  const auto start = line.find_first_not_of(' ', colon + 1);
  return start == std::string::npos ? "" : line.substr(start);
}

}  // namespace

std::string run_signature(const std::string& config_yaml, const torch::nn::Module& model) {
  std::string sig;
  for (const auto& line : lines_of(config_yaml)) {
    if (line.rfind("LOCAL_RANK:", 0) == 0) continue;
    sig += line + "\n";
  }
  sig += "model:\n";
  auto describe = [&](const std::string& kind, const std::string& name, const torch::Tensor& t) {
    std::ostringstream s;
    s << "  " << kind << " " << name << ": " << t.sizes() << " " << t.scalar_type() << "\n";
    sig += s.str();
  };
  for (const auto& p : model.named_parameters()) describe("parameter", p.key(), p.value());
  for (const auto& b : model.named_buffers()) describe("buffer", b.key(), b.value());
  return sig;
}

std::string first_difference(const std::string& main_signature, const std::string& other,
                             int64_t other_rank) {
  if (main_signature == other) return "";
  const auto a = lines_of(main_signature), b = lines_of(other);
  const std::string where = "rank " + std::to_string(other_rank);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i >= a.size()) return where + " has more: '" + b[i] + "'";
    if (i >= b.size()) return where + " lacks '" + a[i] + "' (rank 0 has it)";
    if (a[i] == b[i]) continue;
    const std::string key = dotted_key(a, i), other_key = dotted_key(b, i);
    if (key != other_key) return "rank 0 has '" + key + "' where " + where + " has '" + other_key + "'";
    if (a[i].rfind("  parameter ", 0) == 0 || a[i].rfind("  buffer ", 0) == 0) {
      return "model differs: rank 0 has" + a[i].substr(1) + ", " + where + " has" + b[i].substr(1);
    }
    return key + ": " + value_of(a[i]) + " on rank 0, " + value_of(b[i]) + " on " + where;
  }
  return "";
}

void check_same_run(Communicator& comm, const std::string& signature) {
  const auto all = comm.gather_to_main("run_signature", signature);
  std::string verdict;
  for (size_t r = 1; r < all.size(); ++r) {
    const std::string d = first_difference(all[0], all[r], static_cast<int64_t>(r));
    if (!d.empty()) verdict += (verdict.empty() ? "" : "; ") + d;
  }
  verdict = comm.share_from_main("run_verdict", verdict);
  if (!verdict.empty()) {
    throw std::runtime_error(
        "the processes of this run were started with different configurations or "
        "models: " +
        verdict);
  }
}

void broadcast_module(Communicator& comm, torch::nn::Module& module, const std::string& what) {
  std::vector<torch::Tensor> tensors;
  for (const auto& p : module.parameters()) tensors.push_back(p);
  for (const auto& b : module.buffers()) tensors.push_back(b);
  if (!tensors.empty()) comm.broadcast_from_main(tensors, what);
}

}  // namespace focal::train
