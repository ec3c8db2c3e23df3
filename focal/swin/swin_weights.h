#pragma once
// The two layouts of Swin weights users have:
//  - the Swin release (and ours): layers.i.downsample.* closes stage i, `head.weight`, the geometry buffers
//    relative_position_index and attn_mask saved with the weights, under a `model` key;
//  - timm's: layers.{i+1}.downsample.* opens the next stage, `head.fc.*`, no geometry buffers.
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace focal::swin {

class SwinTransformerImpl;
using Entries = std::vector<std::pair<std::string, torch::Tensor>>;

// True when the entries are in timm's layout (head.fc.* or a merging layer at the start of stage 1).
bool is_timm_layout(const Entries& entries);
// timm -> release: merging layers one stage back, head.fc -> head, and the model's own geometry buffers for
// the ones timm does not save. Release-layout entries come back unchanged.
Entries release_layout_from_timm(Entries entries, const SwinTransformerImpl& model);
// release -> timm (for exporting, and for checking that both layouts give one model): the inverse, without
// the geometry buffers.
Entries timm_layout_from_release(const Entries& entries);

}  // namespace focal::swin
