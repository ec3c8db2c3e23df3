#include "focal/halonet/halonet.h"

#include "focal/halonet/timm_weights.h"

#include "focal/halonet/channel_rounding.h"
#include "focal/runtime/activation_checkpoint.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace focal::halonet {
namespace {

RelPosLayout parse_rel_pos_layout(const std::string& name) {
  if (name == "timm") return RelPosLayout::kTimm;
  if (name == "paper") return RelPosLayout::kPaper;
  throw std::invalid_argument("HaloNet: unknown rel_pos_layout '" + name + "' (expected timm or paper)");
}

// timm's ByobNet init: fan-out normal for convs, N(0, 0.01) for linears, unit BN.
void init_module(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  if (auto* conv = module.as<torch::nn::Conv2d>()) {
    const auto& k = conv->options.kernel_size();
    const double fan_out =
        static_cast<double>(k->at(0) * k->at(1) * conv->options.out_channels() / conv->options.groups());
    conv->weight.normal_(0.0, std::sqrt(2.0 / fan_out));
    if (conv->bias.defined()) conv->bias.zero_();
  } else if (auto* linear = module.as<torch::nn::Linear>()) {
    linear->weight.normal_(0.0, 0.01);
    if (linear->bias.defined()) linear->bias.zero_();
  } else if (auto* bn = module.as<torch::nn::BatchNorm2d>()) {
    bn->weight.fill_(1.0);
    bn->bias.zero_();
  }
}

}  // namespace

std::vector<std::vector<BlockPlan>> plan_blocks(const HaloNetOptions& o) {
  const size_t stages = o.widths().size();
  if (stages == 0 || o.depths().size() != stages || o.strides().size() != stages) {
    throw std::invalid_argument(
        "HaloNet: widths, depths and strides must be non-empty and of equal length (got " +
        std::to_string(o.widths().size()) + ", " + std::to_string(o.depths().size()) + ", " +
        std::to_string(o.strides().size()) + ")");
  }
  std::vector<std::vector<BlockPlan>> plan(stages);
  int64_t in = o.stem_channels();
  for (size_t s = 0; s < stages; ++s) {
    if (o.depths()[s] < 1) throw std::invalid_argument("HaloNet: every stage needs at least one block");
    const int64_t width = o.widths()[s];
    const int64_t value = make_divisible(o.value_ratio() * static_cast<double>(width));
    const int64_t out = make_divisible(o.bottleneck_ratio() * static_cast<double>(width));
    for (int64_t i = 0; i < o.depths()[s]; ++i) {
      plan[s].push_back({in, width, value, out, i == 0 ? o.strides()[s] : 1});
      in = out;
    }
  }
  return plan;
}

HaloNetImpl::HaloNetImpl(HaloNetOptions options) : options_(std::move(options)) { reset(); }

void HaloNetImpl::reset() {
  const auto& o = options_;
  act_ = parse_activation(o.act_layer());
  const auto layout = parse_rel_pos_layout(o.rel_pos_layout());
  const auto plan = plan_blocks(o);
  int64_t total_blocks = 0;
  for (const auto& stage : plan) total_blocks += static_cast<int64_t>(stage.size());

  stem = register_module("stem", Stem(o.in_chans(), o.stem_channels(), act_));
  stages = register_module("stages", torch::nn::ModuleList());
  int64_t block_index = 0;
  for (const auto& stage_plan : plan) {
    torch::nn::ModuleList stage;
    for (const auto& p : stage_plan) {
      const double drop =
          total_blocks > 1 ? o.drop_path_rate() * static_cast<double>(block_index) / (total_blocks - 1) : 0.0;
      stage->push_back(HaloBlock(HaloBlockOptions(p.in_channels, p.width, p.value_width, p.out_channels)
                                     .stride(p.stride)
                                     .num_heads(o.num_heads())
                                     .block_size(o.block_size())
                                     .halo_size(o.halo_size())
                                     .act(act_)
                                     .use_se(o.use_se())
                                     .se_ratio(o.se_ratio())
                                     .qkv_bias(o.qkv_bias())
                                     .avg_down(o.avg_down())
                                     .scale_pos_embed(o.scale_pos_embed())
                                     .rel_pos_layout(layout)
                                     .drop_path(drop)));
      ++block_index;
    }
    stages->push_back(stage);
  }
  num_features_ = plan.back().back().out_channels;
  if (o.num_features() > 0) {
    final_conv = register_module(
        "final_conv", ConvNormAct(ConvNormActOptions(num_features_, o.num_features(), 1).act(act_)));
    num_features_ = o.num_features();
  }
  head = register_module("head", ClassifierHead(num_features_, o.num_classes(), o.drop_rate()));
  init_weights();
}

void HaloNetImpl::init_weights() {
  for (auto& module : modules(/*include_self=*/false)) init_module(*module);
  torch::NoGradGuard no_grad;
  for (const auto& stage : *stages) {
    for (const auto& child : *stage->as<torch::nn::ModuleList>()) {
      auto* block = child->as<HaloBlock>();
      block->self_attn->reset_parameters();
      if (options_.zero_init_last()) block->conv3_1x1->bn->weight.zero_();
    }
  }
  head->reset_fc(head->num_classes());
}

torch::Tensor HaloNetImpl::forward_maps(torch::Tensor images) {
  return stage_forward(images, nullptr);  // (B, num_features, H/32, W/32)
}

torch::Tensor HaloNetImpl::stage_forward(const torch::Tensor& images,
                                         std::vector<torch::Tensor>* stage_maps) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == options_.in_chans(), "HaloNet: expected images (B, ",
              options_.in_chans(), ", H, W), got ", images.sizes());
  auto x = stem(images);  // (B, stem, H/4, W/4)
  for (const auto& stage : *stages) {
    for (const auto& child : *stage->as<torch::nn::ModuleList>()) {
      auto block = std::dynamic_pointer_cast<HaloBlockImpl>(child);
      if (grad_checkpointing_ && is_training()) {
        x = focal::checkpointed([block](const torch::Tensor& t) { return block->forward(t); },
                                x);  // (B, C', H', W')
      } else {
        x = block->forward(x);  // (B, C', H', W')
      }
    }
    if (stage_maps) stage_maps->push_back(x);  // (B, C_i, H_i, W_i)
  }
  if (!final_conv.is_empty()) x = final_conv(x);  // (B, num_features, H/32, W/32)
  return x;
}

focal::ClassifierFeatures HaloNetImpl::forward_all(const torch::Tensor& images, bool with_stages) {
  focal::ClassifierFeatures f;
  f.pooled = stage_forward(images, with_stages ? &f.stage_maps : nullptr).mean({2, 3});  // (B, num_features)
  f.stages = f.stage_maps;  // timm's stage outputs are the maps
  return f;
}

torch::Tensor HaloNetImpl::forward_features(torch::Tensor images) {
  return forward_maps(std::move(images)).mean({2, 3});  // (B, num_features)
}

torch::Tensor HaloNetImpl::forward(torch::Tensor images) {
  return head(forward_features(std::move(images)));  // (B, num_classes)
}

void HaloNetImpl::reset_classifier(int64_t num_classes) { head->reset_fc(num_classes); }

std::vector<std::pair<std::string, torch::Tensor>> HaloNetImpl::adapt_checkpoint(
    std::vector<std::pair<std::string, torch::Tensor>> entries) const {
  return remap_timm_halonet_state_dict(entries);
}

}  // namespace focal::halonet
