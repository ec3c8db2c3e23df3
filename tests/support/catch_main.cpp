// Catch2 entry point shared by every test executable. A run whose test spec selects [cuda] exits with 77
// (CTest's "skipped") when LibTorch sees no CUDA device, so GPU tests are reported as skipped, not passed.
#define CATCH_CONFIG_RUNNER
#include <torch/cuda.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

int main(int argc, char* argv[]) {
  bool wants_cuda = false;
  bool has_spec = false;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') has_spec = true;
    if (std::string(argv[i]).find("[cuda]") != std::string::npos &&
        std::string(argv[i]).find("~[cuda]") == std::string::npos) {
      wants_cuda = true;
    }
  }
  if (wants_cuda && !torch::cuda::is_available()) {
    std::printf("skipped: no CUDA device visible to LibTorch\n");
    return 77;
  }
  // A bare run on a machine without CUDA leaves the [cuda] cases out instead of failing them.
  std::vector<char*> args(argv, argv + argc);
  char not_cuda[] = "~[cuda]";
  if (!has_spec && !torch::cuda::is_available()) args.push_back(not_cuda);
  return Catch::Session().run(static_cast<int>(args.size()), args.data());
}
