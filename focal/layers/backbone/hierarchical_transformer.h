#pragma once
// The classifier around the stages of a hierarchical transformer (Focal v1/v2, Swin), with the originals'
// names: patch_embed (the stem), the optional absolute_pos_embed, `layers` (one WindowStageImpl per
// stage, the family's), norm, average pooling and head. The family's model derives from
// HierarchicalTransformerImpl<its options> and builds its stages through build().
#include "focal/layers/backbone/classifier.h"
#include "focal/layers/backbone/stage_features.h"
#include "focal/layers/backbone/weight_init.h"
#include "focal/layers/blocks/drop_path.h"
#include "focal/layers/blocks/patch_embed.h"
#include "focal/layers/blocks/window_stage.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <utility>
#include <vector>

namespace focal {

// `Options` derives from HierarchicalOptions<Options>.
template <typename Options>
class HierarchicalTransformerImpl : public ClassifierImpl {
 public:
  torch::Tensor forward(torch::Tensor images) override {
    return forward_head(forward_features(images));  // (B, num_classes)
  }
  torch::Tensor forward_features(torch::Tensor images) override {
    return forward_all(images, false).pooled;  // (B, num_features)
  }
  // stages: per stage after its blocks and downsampling (B, L, C), as the originals' layers return them;
  // stage_maps: per stage after its blocks (B, C, H, W).
  ClassifierFeatures forward_all(const torch::Tensor& images, bool with_stages) override {
    TORCH_CHECK(images.dim() == 4 && images.size(1) == options_.in_chans(), family_, " expects (B, ",
                options_.in_chans(), ", H, W) images, got ", images.sizes());
    ClassifierFeatures features;
    TokenMap x = patch_embed->forward(images);  // (B, L0, C0)
    if (with_stages) features.patch_embed = x.tokens;
    embed_positions(x, absolute_pos_embed, options_.drop_rate(), is_training());  // (B, L0, C0)
    for (const auto& module : *layers) {
      StageOutput stage = module->as<WindowStageImpl>()->forward(x);
      if (with_stages) record_stage(features, stage.blocks, stage.downsampled);
      x = stage.downsampled;
    }
    features.pooled = norm->forward(x.tokens).mean(1);  // (B, num_features)
    return features;
  }
  torch::Tensor forward_head(const torch::Tensor& pooled) override {
    return head ? head->forward(pooled) : pooled;  // (B, num_classes)
  }

  int64_t num_classes() const override { return options_.num_classes(); }
  int64_t num_features() const override { return num_features_; }
  void reset_classifier(int64_t num_classes) override {
    options_.num_classes(num_classes);
    if (head) unregister_module("head");
    head = nullptr;
    if (num_classes <= 0) return;
    head = register_module("head", make_classifier_head(num_features_, num_classes, norm->weight.device()));
  }
  void set_grad_checkpointing(bool enable) override {
    options_.use_checkpoint(enable);
    for (const auto& layer : *layers) layer->as<WindowStageImpl>()->set_grad_checkpointing(enable);
  }
  std::vector<std::string> no_weight_decay() const override { return {"absolute_pos_embed"}; }
  const Options& options() const { return options_; }

  PatchEmbed patch_embed{nullptr};
  torch::Tensor absolute_pos_embed;
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear head{nullptr};

 protected:
  // `family` names the model in errors ("Focal Transformer", "Swin Transformer").
  HierarchicalTransformerImpl(Options options, std::string family)
      : options_(std::move(options)), family_(std::move(family)) {}

  // Registers, in the originals' order, patch_embed, absolute_pos_embed (with ape), the stages, norm and
  // head, then initialises the weights as the originals' _init_weights. make_stage(i, options) returns
  // stage i (a WindowStageImpl holder) from the shared options of that stage: its size, window, rates,
  // drop-path rates (linear over all blocks) and downsampling (all stages but the last).
  template <typename StageOptions, typename MakeStage>
  void build(bool use_conv_embed, MakeStage make_stage) {
    const auto& o = options_;
    const int64_t stages = static_cast<int64_t>(o.depths().size());
    TORCH_CHECK(stages > 0, family_, ": depths is empty");
    TORCH_CHECK(static_cast<int64_t>(o.num_heads().size()) >= stages, family_,
                ": num_heads needs one entry per stage (", stages, " stages)");
    num_features_ = o.embed_dim() << (stages - 1);
    patch_embed = register_module("patch_embed", PatchEmbed(PatchEmbedOptions(o.in_chans(), o.embed_dim())
                                                                .patch_size(o.patch_size())
                                                                .use_conv_embed(use_conv_embed)
                                                                .is_stem(true)
                                                                .use_norm(o.patch_norm())
                                                                // the originals pass use_pre_norm to the
                                                                // downsampling embeddings only
                                                                .use_pre_norm(false)));
    const int64_t resolution = o.img_size() / o.patch_size();
    if (o.ape()) {
      absolute_pos_embed =
          register_parameter("absolute_pos_embed",
                             trunc_normal_(torch::empty({1, resolution * resolution, o.embed_dim()}), 0.02));
    }
    const auto drop_paths = drop_path_schedule(o.depths(), o.drop_path_rate());
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < stages; ++i) {
      layers->push_back(make_stage(i, StageOptions(o.embed_dim() << i, o.depths()[i], o.num_heads()[i],
                                                   resolution >> i, resolution >> i)
                                          .window_size(o.window_size())
                                          .mlp_ratio(o.mlp_ratio())
                                          .qkv_bias(o.qkv_bias())
                                          .qk_scale(o.qk_scale())
                                          .drop(o.drop_rate())
                                          .attn_drop(o.attn_drop_rate())
                                          .drop_path(drop_paths[i])
                                          .downsample(i + 1 < stages)
                                          .use_checkpoint(o.use_checkpoint())));
    }
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({num_features_})));
    if (o.num_classes() > 0)
      head = register_module("head", torch::nn::Linear(num_features_, o.num_classes()));
    // Linear weights trunc_normal(.02) and zero bias (the fc pooling layers included), LayerNorm weight 1
    // and bias 0; convolutions keep their default.
    init_linear_and_layer_norm(*this);
  }

  Options options_;

 private:
  std::string family_;
  int64_t num_features_ = 0;
};

}  // namespace focal
