// The implementation's own geometry tables (focal/focal_v1/focal_geometry.h): sizes, the zero row for border
// windows, and the errors for inputs the original cannot take. Their values are checked through the attention
// against the independent reference of focal_attention_test.cpp and through the fixtures.
#include "focal/focal_v1/focal_geometry.h"
#include "focal/focal_v1/focal_attention.h"

#include <torch/torch.h>
#include <catch2/catch.hpp>

TEST_CASE("geometry tables are built once per map size", "[model][attention]") {
  focal::FocalAttention attn(focal::FocalAttentionOptions(8, 2)
                                 .window_size(4)
                                 .expand_size(1)
                                 .focal_level(2)
                                 .focal_window(3)
                                 .pool_method("mean"));
  auto layout = focal::focal_key_layout({4, 1, 3, 2, true, 0});
  CHECK(layout.window_keys == 16);
  CHECK(layout.rolled_keys == focal::rolled_key_count(4, 1));
  CHECK(layout.pooled_keys == std::vector<int64_t>{9});
  auto g = focal::build_focal_geometry({4, 1, 3, 2, true, 0}, 8, 12);
  CHECK(g.key_index.numel() == g.num_windows() * layout.total());
  CHECK(g.key_index.max().item<int64_t>() == g.num_tokens - 1);  // border windows read the zero row
  CHECK(g.mask.defined());
  CHECK_THROWS_WITH(focal::build_focal_geometry({4, 1, 3, 2, true, 0}, 9, 12), Catch::Contains("not padded"));
  CHECK_THROWS_WITH(focal::focal_key_layout({7, 0, 4, 2, true, 0}), Catch::Contains("odd focal window"));
}
