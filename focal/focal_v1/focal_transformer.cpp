#include "focal/focal_v1/focal_transformer.h"

#include <torch/torch.h>

#include <algorithm>

namespace focal {

FocalTransformerImpl::FocalTransformerImpl(FocalTransformerOptions options)
    : HierarchicalTransformerImpl(std::move(options), "Focal Transformer") {
  reset();
}

void FocalTransformerImpl::reset() {
  const auto& o = options_;
  const int64_t stages = static_cast<int64_t>(o.depths().size());
  TORCH_CHECK(o.model_type() == "focal" || o.model_type() == "focalv2", "Focal Transformer: model type '",
              o.model_type(), "' is neither focal nor focalv2");
  for (const auto* list : {&o.num_heads(), &o.focal_levels(), &o.focal_windows(), &o.expand_sizes()}) {
    TORCH_CHECK(
        static_cast<int64_t>(list->size()) >= stages,
        "Focal Transformer: num_heads, focal_levels, focal_windows and expand_sizes need one entry per "
        "stage (",
        stages, " stages)");
  }
  build<FocalLayerOptions>(o.use_conv_embed(), [&o](int64_t i, FocalLayerOptions stage) {
    const bool focal =
        std::find(o.focal_stages().begin(), o.focal_stages().end(), i) != o.focal_stages().end();
    return FocalLayer(stage.expand_size(o.expand_sizes()[i])
                          .expand_layer(o.expand_layer())
                          .pool_method(focal ? o.focal_pool() : "none")
                          .focal_level(o.focal_levels()[i])
                          .focal_window(o.focal_windows()[i])
                          .use_conv_embed(o.use_conv_embed())
                          .use_shift(o.use_shift())
                          .use_pre_norm(o.use_pre_norm())
                          .use_layerscale(o.use_layerscale())
                          .layerscale_value(o.layerscale_value())
                          .topk(o.is_v2() ? o.focal_topK() : 0));
  });
}

}  // namespace focal
