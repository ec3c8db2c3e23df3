#include "focal/swin/swin_attention.h"

#include "focal/layers/attention/relative_position.h"
#include "focal/layers/backbone/weight_init.h"

#include <torch/torch.h>

#include <cmath>

namespace focal::swin {

WindowAttentionImpl::WindowAttentionImpl(WindowAttentionOptions options) : options_(options) { reset(); }

void WindowAttentionImpl::reset() {
  const auto& o = options_;
  const int64_t ws = o.window_size(), nh = o.num_heads();
  TORCH_CHECK(o.dim() % nh == 0, "Swin attention: dim ", o.dim(), " is not divisible by ", nh, " heads");
  scale_ = o.qk_scale().value_or(std::pow(static_cast<double>(o.dim() / nh), -0.5));
  relative_position_bias_table = register_parameter(
      "relative_position_bias_table", trunc_normal_(torch::empty({(2 * ws - 1) * (2 * ws - 1), nh}), 0.02));
  register_buffer("relative_position_index", relative_position_index(ws));
  qkv = register_module("qkv",
                        torch::nn::Linear(torch::nn::LinearOptions(o.dim(), 3 * o.dim()).bias(o.qkv_bias())));
  proj = register_module("proj", torch::nn::Linear(o.dim(), o.dim()));
}

torch::Tensor WindowAttentionImpl::forward(const torch::Tensor& windows, const torch::Tensor& mask) {
  const int64_t batch = windows.size(0), nw = windows.size(1), area = windows.size(2), dim = windows.size(3);
  const int64_t nh = options_.num_heads(), hd = dim / nh;
  auto qkv_t = qkv->forward(windows)                         // (B, nW, L, 3C)
                   .view({batch, nw, area, 3, nh, hd})       // (B, nW, L, 3, nH, hd)
                   .permute({3, 0, 1, 4, 2, 5})              // (3, B, nW, nH, L, hd)
                   .reshape({3, batch, nw * nh, area, hd});  // (3, B, nW*nH, L, hd)
  const auto& index = named_buffers(false)["relative_position_index"];
  auto bias = relative_position_bias_table
                  .index_select(0, index.reshape({-1}))                    // (L*L, nH)
                  .view({area, area, nh})                                  // (L, L, nH)
                  .permute({2, 0, 1})                                      // (nH, L, L)
                  .unsqueeze(0);                                           // (1, nH, L, L)
  bias = mask.defined() ? bias + mask.unsqueeze(1).to(bias.scalar_type())  // (nW, nH, L, L)
                        : bias.expand({nw, nh, area, area});
  bias = bias.reshape({1, nw * nh, area, area}).to(qkv_t.scalar_type());  // (1, nW*nH, L, L)
  const double dropout = is_training() ? options_.attn_drop() : 0.0;
  auto out = at::scaled_dot_product_attention(qkv_t[0], qkv_t[1], qkv_t[2], bias, dropout, false,
                                              scale_);              // (B, nW*nH, L, hd)
  out = out.view({batch, nw, nh, area, hd})                         // (B, nW, nH, L, hd)
            .transpose(2, 3)                                        // (B, nW, L, nH, hd)
            .reshape({batch, nw, area, dim});                       // (B, nW, L, C)
  out = proj->forward(out);                                         // (B, nW, L, C)
  return torch::dropout(out, options_.proj_drop(), is_training());  // (B, nW, L, C)
}

}  // namespace focal::swin
