#include <torch/torch.h>
torch::Tensor focal_smoke() { return torch::ones({2}); }
