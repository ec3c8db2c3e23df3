#pragma once
// Swin Transformer block: LayerNorm -> (shifted) window attention -> residual with stochastic depth ->
// LayerNorm -> MLP -> residual. Names as the Swin code base's SwinTransformerBlock (norm1, attn, norm2, mlp,
// and the attn_mask buffer of shifted blocks).
#include "focal/layers/blocks/window_block.h"
#include "focal/swin/swin_attention.h"

#include <torch/nn/pimpl.h>

#include <map>
#include <mutex>
#include <utility>

namespace focal::swin {

// The shared block options (WindowBlockOptions): Swin adds none.
struct SwinBlockOptions : WindowBlockOptions<SwinBlockOptions> {
  using WindowBlockOptions::WindowBlockOptions;
};

class SwinBlockImpl : public WindowBlockImpl {
 public:
  explicit SwinBlockImpl(SwinBlockOptions options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x, int64_t height, int64_t width) override;

  WindowAttention attn{nullptr};

 private:
  // The shifted-window mask of a padded map: the registered buffer at the built size, else cached per size.
  torch::Tensor mask_for(int64_t hp, int64_t wp, const torch::Device& device);

  SwinBlockOptions options_;
  std::map<std::pair<int64_t, int64_t>, torch::Tensor> mask_cache_;
  std::mutex mask_mutex_;
};
TORCH_MODULE(SwinBlock);

}  // namespace focal::swin
