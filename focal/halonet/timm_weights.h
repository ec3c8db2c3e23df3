#pragma once
// timm HaloNet checkpoints. Our module tree mirrors timm's ByobNet for the H-series (halonet_h1): same
// names (stem.conv1.conv.weight, stages.S.I.self_attn.kv.weight, ..., head.fc.bias) and the same per-head
// interleaved [k_0, v_0, k_1, v_1, ...] layout of `kv`, so tensors load without any reshuffling.
#include "focal/halonet/halonet.h"
#include "focal/io/state_dict.h"

#include <string>

namespace focal::halonet {

// timm's keys -> ours. Identity on names and layouts (see above); throws std::invalid_argument naming the
// key when the checkpoint holds timm structures that a HaloNet H-series model does not have (an extra kxk
// conv in the block, a non-halo self-attention, attention pooling heads), which would otherwise surface as
// a long list of missing/unexpected keys.
focal::io::StateDict remap_timm_halonet_state_dict(const focal::io::StateDict& timm_state);

// Reads a timm checkpoint (torch.save of a state_dict, possibly nested) and loads it into `model`.
focal::io::LoadReport load_timm_halonet(HaloNetImpl& model, const std::string& path, bool strict = true);

}  // namespace focal::halonet
