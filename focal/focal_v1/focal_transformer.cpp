#include "focal/focal_v1/focal_transformer.h"

#include "focal/layers/drop_path.h"
#include "focal/layers/stage_features.h"
#include "focal/layers/weight_init.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

namespace focal {

FocalTransformerImpl::FocalTransformerImpl(FocalTransformerOptions options) : options_(std::move(options)) {
  reset();
}

void FocalTransformerImpl::reset() {
  const auto& o = options_;
  const int64_t stages = static_cast<int64_t>(o.depths().size());
  TORCH_CHECK(stages > 0, "Focal Transformer: depths is empty");
  TORCH_CHECK(o.model_type() == "focal" || o.model_type() == "focalv2", "Focal Transformer: model type '",
              o.model_type(), "' is neither focal nor focalv2");
  for (const auto* list : {&o.num_heads(), &o.focal_levels(), &o.focal_windows(), &o.expand_sizes()}) {
    TORCH_CHECK(
        static_cast<int64_t>(list->size()) >= stages,
        "Focal Transformer: num_heads, focal_levels, focal_windows and expand_sizes need one entry per "
        "stage (",
        stages, " stages)");
  }
  num_features_ = o.embed_dim() << (stages - 1);

  patch_embed = register_module("patch_embed", PatchEmbed(PatchEmbedOptions(o.in_chans(), o.embed_dim())
                                                              .patch_size(o.patch_size())
                                                              .use_conv_embed(o.use_conv_embed())
                                                              .is_stem(true)
                                                              .use_norm(o.patch_norm())
                                                              // the original passes use_pre_norm to the
                                                              // downsampling embeddings only
                                                              .use_pre_norm(false)));
  const int64_t resolution = o.img_size() / o.patch_size();
  if (o.ape()) {
    absolute_pos_embed = register_parameter(
        "absolute_pos_embed", trunc_normal_(torch::empty({1, resolution * resolution, o.embed_dim()}), 0.02));
  }

  const auto drop_paths = drop_path_schedule(o.depths(), o.drop_path_rate());
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < stages; ++i) {
    const auto& drop_path = drop_paths[i];
    const bool focal =
        std::find(o.focal_stages().begin(), o.focal_stages().end(), i) != o.focal_stages().end();
    layers->push_back(FocalLayer(FocalLayerOptions(o.embed_dim() << i, o.depths()[i], o.num_heads()[i],
                                                   resolution >> i, resolution >> i)
                                     .window_size(o.window_size())
                                     .expand_size(o.expand_sizes()[i])
                                     .expand_layer(o.expand_layer())
                                     .mlp_ratio(o.mlp_ratio())
                                     .qkv_bias(o.qkv_bias())
                                     .qk_scale(o.qk_scale())
                                     .drop(o.drop_rate())
                                     .attn_drop(o.attn_drop_rate())
                                     .drop_path(drop_path)
                                     .pool_method(focal ? o.focal_pool() : "none")
                                     .focal_level(o.focal_levels()[i])
                                     .focal_window(o.focal_windows()[i])
                                     .use_conv_embed(o.use_conv_embed())
                                     .use_shift(o.use_shift())
                                     .use_pre_norm(o.use_pre_norm())
                                     .downsample(i + 1 < stages)
                                     .use_checkpoint(o.use_checkpoint())
                                     .use_layerscale(o.use_layerscale())
                                     .layerscale_value(o.layerscale_value())
                                     .topk(o.is_v2() ? o.focal_topK() : 0)));
  }
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({num_features_})));
  if (o.num_classes() > 0) head = register_module("head", torch::nn::Linear(num_features_, o.num_classes()));
  init_weights();
}

void FocalTransformerImpl::init_weights() {
  // The original's _init_weights, applied to every module: Linear weights trunc_normal(.02) and zero bias
  // (the fc pooling layers included), LayerNorm weight 1 and bias 0; convolutions keep their default.
  init_linear_and_layer_norm(*this);
}

void FocalTransformerImpl::reset_classifier(int64_t num_classes) {
  options_.num_classes(num_classes);
  if (num_classes <= 0) {
    head = nullptr;
    unregister_module("head");
    return;
  }
  auto fresh = make_classifier_head(num_features_, num_classes, norm->weight.device());
  if (head) unregister_module("head");
  head = register_module("head", fresh);
}

void FocalTransformerImpl::set_grad_checkpointing(bool enable) {
  options_.use_checkpoint(enable);
  for (const auto& layer : *layers) layer->as<FocalLayerImpl>()->set_grad_checkpointing(enable);
}

FocalFeatures FocalTransformerImpl::forward_all(const torch::Tensor& images, bool with_stages) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == options_.in_chans(), "Focal Transformer expects (B, ",
              options_.in_chans(), ", H, W) images, got ", images.sizes());
  FocalFeatures features;
  TokenMap x = patch_embed->forward(images);  // (B, L0, C0)
  if (with_stages) features.patch_embed = x.tokens;
  embed_positions(x, absolute_pos_embed, options_.drop_rate(), is_training());  // (B, L0, C0)
  for (const auto& module : *layers) {
    StageOutput stage = module->as<FocalLayerImpl>()->forward(x);
    if (with_stages) record_stage(features, stage.blocks, stage.downsampled);
    x = stage.downsampled;
  }
  features.pooled = norm->forward(x.tokens).mean(1);  // (B, num_features)
  return features;
}

torch::Tensor FocalTransformerImpl::forward_features(torch::Tensor images) {
  return forward_all(images, false).pooled;  // (B, num_features)
}

torch::Tensor FocalTransformerImpl::forward(torch::Tensor images) {
  auto pooled = forward_features(images);        // (B, num_features)
  return head ? head->forward(pooled) : pooled;  // (B, num_classes)
}

}  // namespace focal
