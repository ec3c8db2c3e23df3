#include "focal/swin/swin_weights.h"

#include "focal/swin/swin_transformer.h"

#include <regex>
#include <set>

namespace focal::swin {
namespace {

// "layers.<i>.downsample.<rest>" with its stage moved by `delta`; other names unchanged.
std::string move_downsample(const std::string& name, int delta) {
  static const std::regex pattern(R"(^layers\.(\d+)\.downsample\.(.*)$)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return name;
  return "layers." + std::to_string(std::stoi(m[1]) + delta) + ".downsample." + m[2].str();
}

bool is_geometry(const std::string& name) {
  return name.find("relative_position_index") != std::string::npos ||
         name.find("attn_mask") != std::string::npos;
}

}  // namespace

bool is_timm_layout(const Entries& entries) {
  bool head_fc = false, opens_stage1 = false, closes_stage0 = false;
  for (const auto& [name, value] : entries) {
    head_fc = head_fc || name.rfind("head.fc.", 0) == 0;
    opens_stage1 = opens_stage1 || name.rfind("layers.1.downsample.", 0) == 0;
    closes_stage0 = closes_stage0 || name.rfind("layers.0.downsample.", 0) == 0;
  }
  return head_fc || (opens_stage1 && !closes_stage0);
}

Entries release_layout_from_timm(Entries entries, const SwinTransformerImpl& model) {
  if (!is_timm_layout(entries)) return entries;
  Entries out;
  std::set<std::string> names;
  for (auto& [name, value] : entries) {
    std::string ours = move_downsample(name, -1);
    if (ours.rfind("head.fc.", 0) == 0) ours = "head." + ours.substr(8);
    names.insert(ours);
    out.emplace_back(ours, value);
  }
  // timm keeps relative_position_index and attn_mask out of its state dict; the model's are the same tables.
  for (const auto& buffer : model.named_buffers()) {
    if (is_geometry(buffer.key()) && !names.count(buffer.key()))
      out.emplace_back(buffer.key(), buffer.value());
  }
  return out;
}

Entries timm_layout_from_release(const Entries& entries) {
  Entries out;
  for (const auto& [name, value] : entries) {
    if (is_geometry(name)) continue;
    std::string theirs = move_downsample(name, +1);
    if (theirs.rfind("head.", 0) == 0 && theirs.rfind("head.fc.", 0) != 0)
      theirs = "head.fc." + theirs.substr(5);
    out.emplace_back(theirs, value);
  }
  return out;
}

}  // namespace focal::swin
