#include "focal/swin/swin_transformer.h"

#include "focal/layers/drop_path.h"
#include "focal/layers/stage_features.h"
#include "focal/layers/weight_init.h"
#include "focal/swin/swin_layer.h"
#include "focal/swin/swin_weights.h"

#include <torch/torch.h>

#include <numeric>

namespace focal::swin {

SwinTransformerImpl::SwinTransformerImpl(SwinTransformerOptions options) : options_(std::move(options)) {
  reset();
}

void SwinTransformerImpl::reset() {
  const auto& o = options_;
  const int64_t stages = static_cast<int64_t>(o.depths().size());
  TORCH_CHECK(stages > 0, "Swin Transformer: depths is empty");
  TORCH_CHECK(static_cast<int64_t>(o.num_heads().size()) >= stages,
              "Swin Transformer: num_heads needs one entry per stage (", stages, " stages)");
  num_features_ = o.embed_dim() << (stages - 1);
  patch_embed = register_module("patch_embed", PatchEmbed(PatchEmbedOptions(o.in_chans(), o.embed_dim())
                                                              .patch_size(o.patch_size())
                                                              .is_stem(true)
                                                              .use_norm(o.patch_norm())));
  const int64_t resolution = o.img_size() / o.patch_size();
  if (o.ape()) {
    absolute_pos_embed = register_parameter(
        "absolute_pos_embed", trunc_normal_(torch::empty({1, resolution * resolution, o.embed_dim()}), 0.02));
  }
  const auto drop_paths = drop_path_schedule(o.depths(), o.drop_path_rate());
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < stages; ++i) {
    const auto& drop_path = drop_paths[i];
    layers->push_back(
        SwinLayer(SwinLayerOptions(o.embed_dim() << i, o.depths()[i], o.num_heads()[i], resolution >> i)
                      .window_size(o.window_size())
                      .use_shift(o.use_shift())
                      .mlp_ratio(o.mlp_ratio())
                      .qkv_bias(o.qkv_bias())
                      .qk_scale(o.qk_scale())
                      .drop(o.drop_rate())
                      .attn_drop(o.attn_drop_rate())
                      .drop_path(drop_path)
                      .downsample(i + 1 < stages)
                      .use_checkpoint(o.use_checkpoint())));
  }
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({num_features_})));
  if (o.num_classes() > 0) head = register_module("head", torch::nn::Linear(num_features_, o.num_classes()));
  init_weights();
}

void SwinTransformerImpl::init_weights() {
  // The Swin code base's _init_weights: Linear trunc_normal(.02) and zero bias, LayerNorm 1 and 0.
  init_linear_and_layer_norm(*this);
}

void SwinTransformerImpl::reset_classifier(int64_t num_classes) {
  options_.num_classes(num_classes);
  if (head) unregister_module("head");
  head = nullptr;
  if (num_classes <= 0) return;
  head = register_module("head", make_classifier_head(num_features_, num_classes, norm->weight.device()));
}

void SwinTransformerImpl::set_grad_checkpointing(bool enable) {
  options_.use_checkpoint(enable);
  for (const auto& layer : *layers) layer->as<SwinLayerImpl>()->set_grad_checkpointing(enable);
}

ClassifierFeatures SwinTransformerImpl::forward_all(const torch::Tensor& images, bool with_stages) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == options_.in_chans(), "Swin Transformer expects (B, ",
              options_.in_chans(), ", H, W) images, got ", images.sizes());
  ClassifierFeatures features;
  TokenMap x = patch_embed->forward(images);  // (B, L0, C0)
  if (with_stages) features.patch_embed = x.tokens;
  embed_positions(x, absolute_pos_embed, options_.drop_rate(), is_training());  // (B, L0, C0)
  for (const auto& module : *layers) {
    auto [blocks, merged] = module->as<SwinLayerImpl>()->forward(x);
    if (with_stages) record_stage(features, blocks, merged);
    x = merged;
  }
  features.pooled = norm->forward(x.tokens).mean(1);  // (B, num_features)
  return features;
}

torch::Tensor SwinTransformerImpl::forward_features(torch::Tensor images) {
  return forward_all(images, false).pooled;  // (B, num_features)
}

torch::Tensor SwinTransformerImpl::forward(torch::Tensor images) {
  return forward_head(forward_features(images));  // (B, num_classes)
}

std::vector<std::pair<std::string, torch::Tensor>> SwinTransformerImpl::adapt_checkpoint(
    std::vector<std::pair<std::string, torch::Tensor>> entries) const {
  return release_layout_from_timm(std::move(entries), *this);
}

}  // namespace focal::swin
