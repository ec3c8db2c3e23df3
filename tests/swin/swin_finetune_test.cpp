// Swin fine-tuned at another window and resolution (issue 13): the weights of a window-7 Swin at 56 pixels
// load into a window-8 Swin at 64 pixels (the Swin code base's 224/w7 -> 384/w12 in small). Its
// relative-position bias tables are resized by bicubic interpolation, checked against PyTorch's
// F.interpolate of the saved tables (the reference of the Focal fine-tuning test, tests/support); the
// tensors that do not depend on the window are copied unchanged and the geometry buffers are the model's own.
#include "focal/io/checkpoint_writer.h"
#include "focal/io/state_dict.h"
#include "focal/swin/swin_transformer.h"
#include "tests/support/finetune_reference.h"
#include "tests/support/test_env.h"
#include "train/checkpoint/pretrained_loader.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

namespace {

using focal::swin::SwinTransformer;
using focal::swin::SwinTransformerOptions;

// Two stages (maps 14/7 at 56 pixels, 16/8 at 64), shifted odd blocks, 10 classes.
SwinTransformerOptions tiny_swin(int64_t img_size, int64_t window_size) {
  return SwinTransformerOptions()
      .img_size(img_size)
      .embed_dim(8)
      .depths({2, 2})
      .num_heads({1, 2})
      .window_size(window_size)
      .num_classes(10)
      .drop_path_rate(0.0);
}

// A window-7 Swin saved in the release layout ({'model': ...}) and loaded into a window-8 one at 64 pixels.
struct SwinFinetuned {
  std::string weights;
  SwinTransformer source{nullptr}, model{nullptr};
  focal::train::PretrainedReport report;
  SwinFinetuned() : weights((focal::test::temp_dir("swin_finetune") / "swin_w7.pth").string()) {
    torch::manual_seed(1);
    source = SwinTransformer(tiny_swin(56, 7));
    {
      // Tables of unit scale (they start at std .02), so that a wrong resize shows well above the tolerance.
      torch::NoGradGuard no_grad;
      for (auto& p : source->named_parameters())
        if (p.key().find("relative_position_bias_table") != std::string::npos) p.value().normal_(0.0, 1.0);
    }
    focal::io::save_state_dict(weights, focal::io::module_state_dict(*source));
    torch::manual_seed(2);
    model = SwinTransformer(tiny_swin(64, 8));
    report = focal::train::load_pretrained(*model, weights);
  }
};

bool listed(const std::vector<std::string>& entries, const std::string& prefix) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const std::string& s) { return s.rfind(prefix, 0) == 0; });
}

}  // namespace

TEST_CASE("Swin weights of window 7 load into a window-8 Swin at another resolution", "[swin][finetune]") {
  SwinFinetuned f;
  INFO(f.report.summary());
  const auto src = f.source->named_parameters();
  const auto dst = f.model->named_parameters();
  // Every block's table, (2*7-1)^2 -> (2*8-1)^2 rows of one bias per head, is resized and reported.
  int64_t tables = 0;
  for (const auto& p : dst) {
    if (p.key().find("relative_position_bias_table") == std::string::npos) continue;
    ++tables;
    INFO(p.key());
    CHECK(src[p.key()].size(0) == 169);
    CHECK(p.value().size(0) == 225);
    CHECK(p.value().size(1) == src[p.key()].size(1));
    CHECK(listed(f.report.resized, p.key() + ":"));
  }
  CHECK(tables == 4);
  CHECK(f.report.resized.size() == 4);
  // The other parameters are copied as they are: their shapes do not depend on the window or image size.
  for (const auto& p : dst) {
    if (p.key().find("relative_position_bias_table") != std::string::npos) continue;
    INFO(p.key());
    CHECK(torch::equal(p.value(), src[p.key()]));
  }
  // Geometry buffers are the new model's: the index of a window-8 table and the masks of 16x16 maps.
  CHECK(listed(f.report.skipped, "layers.0.blocks.0.attn.relative_position_index"));
  CHECK(listed(f.report.skipped, "layers.0.blocks.1.attn_mask"));
  const auto buffers = f.model->named_buffers();
  CHECK(buffers["layers.0.blocks.0.attn.relative_position_index"].max().item<int64_t>() == 224);
  CHECK(buffers["layers.0.blocks.1.attn_mask"].size(0) == 4);  // (16/8)^2 windows
  CHECK(f.report.missing.empty());
  // The fine-tuned model runs at its resolution.
  f.model->eval();
  torch::NoGradGuard no_grad;
  const auto logits = f.model->forward(torch::randn({2, 3, 64, 64}));  // (2, 10)
  CHECK(logits.sizes() == torch::IntArrayRef({2, 10}));
  CHECK(torch::isfinite(logits).all().item<bool>());
}

TEST_CASE("Swin's resized bias tables equal PyTorch's bicubic interpolation of the window-7 ones",
          "[swin][finetune][python]") {
  auto py = focal::test::reference_python("torch");
  if (!py) FOCAL_SKIP_MISSING("no Python with torch for the interpolation reference");
  SwinFinetuned f;
  focal::test::check_resized_as_bicubic(*py, f.weights, f.report.resized, *f.model,
                                        focal::test::temp_dir("swin_finetune_ref"));
}
