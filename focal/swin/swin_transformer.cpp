#include "focal/swin/swin_transformer.h"

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
  // Stochastic depth grows linearly over all blocks, as torch.linspace(0, rate, sum(depths)).
  const int64_t blocks = std::accumulate(o.depths().begin(), o.depths().end(), int64_t{0});
  auto rates = torch::linspace(0.0, o.drop_path_rate(), blocks, torch::kFloat64);
  layers = register_module("layers", torch::nn::ModuleList());
  int64_t first = 0;
  for (int64_t i = 0; i < stages; ++i) {
    std::vector<double> drop_path(o.depths()[i]);
    for (int64_t j = 0; j < o.depths()[i]; ++j)
      drop_path[j] = static_cast<double>(rates[first + j].item<float>());
    first += o.depths()[i];
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
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::LinearImpl>()) {
      trunc_normal_(linear->weight, 0.02);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* layer_norm = module->as<torch::nn::LayerNormImpl>()) {
      layer_norm->weight.fill_(1.0);
      layer_norm->bias.zero_();
    }
  }
}

void SwinTransformerImpl::reset_classifier(int64_t num_classes) {
  options_.num_classes(num_classes);
  if (head) unregister_module("head");
  head = nullptr;
  if (num_classes <= 0) return;
  auto fresh = torch::nn::Linear(num_features_, num_classes);
  {
    torch::NoGradGuard no_grad;
    trunc_normal_(fresh->weight, 0.02);
    fresh->bias.zero_();
  }
  fresh->to(norm->weight.device());
  head = register_module("head", fresh);
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
  if (absolute_pos_embed.defined()) {
    TORCH_CHECK(absolute_pos_embed.size(1) == x.tokens.size(1), "absolute position embedding has ",
                absolute_pos_embed.size(1), " positions, the input gives ", x.tokens.size(1));
    x.tokens = x.tokens + absolute_pos_embed;  // (B, L0, C0)
  }
  x.tokens = torch::dropout(x.tokens, options_.drop_rate(), is_training());  // (B, L0, C0)
  for (const auto& module : *layers) {
    auto [blocks, merged] = module->as<SwinLayerImpl>()->forward(x);
    if (with_stages) {
      const auto& t = blocks.tokens;
      features.stages.push_back(merged.tokens);  // (B, L_i, C_i)
      features.stage_maps.push_back(
          t.transpose(1, 2).reshape({t.size(0), t.size(2), blocks.height, blocks.width}));  // (B, C, H, W)
    }
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
