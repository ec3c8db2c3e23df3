// focal-verify: builds a model from a configuration (the fixtures' JSON with model_type focal/focalv2, or
// any YAML: focal, focalv2, swin, halonet), loads a checkpoint (in any layout the model adapts, e.g. timm's
// Swin), runs the reference input and compares every reference tensor; exits 0 only when all are within
// tolerance. --dtype bf16 runs forward and loss under bfloat16 autocast (as TRAIN.AMP bf16 trains) and
// compares with the bf16 tolerances of eval/verify.h.
#include "eval/arg_parser.h"
#include "eval/verify.h"
#include "focal/io/state_dict.h"
#include "focal/runtime/autocast_scope.h"
#include "focal/runtime/device.h"

#include <torch/torch.h>

#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  try {
    focal::eval::ArgParser args(
        "focal-verify", "Checks a checkpoint against reference outputs of the original implementation.");
    args.option("config",
                "constructor-argument JSON (as in the fixtures, with model_type) or a YAML configuration")
        .option("checkpoint", "weights (.pth: zip or legacy torch.save; model/state_dict/... layouts)")
        .option("reference", "reference tensors (.io.pth: input, stage0.., logits, target, loss, grad.*)")
        .option("device", "cpu, cuda or cuda:N", "cpu")
        .option(
            "dtype",
            "fp32: float32, the fixtures' tolerances (outputs 1e-4 and loss 1e-5 absolute, gradients 1e-4 "
            "relative to the tensor's largest reference value); bf16: forward and loss under bfloat16 "
            "autocast, as TRAIN.AMP bf16 trains, against the same float32 references: outputs 5e-2 and "
            "loss 5e-3 relative to the tensor's largest reference value, each gradient 5e-1 relative to "
            "the model's largest reference gradient, all gradients together 1.5e-1 (relative L2); about 3x "
            "the largest deviations measured on the CPU over every Focal, Focal-v2, Swin and HaloNet "
            "reference (PERFORMANCE.md, bf16 parity)",
            "fp32");
    if (!args.parse(argc, argv)) return 0;
    for (const char* required : {"config", "checkpoint", "reference"}) {
      if (!args.has(required)) throw std::invalid_argument(std::string("--") + required + " is required");
    }
    const torch::Device device = focal::parse_device(args.get("device"));
    const auto dtype = focal::parse_precision(args.get("dtype"), "--dtype");
    if (dtype && *dtype != torch::kBFloat16) {
      throw std::invalid_argument("--dtype " + args.get("dtype") +
                                  ": only fp32 and bf16 have tolerances here");
    }
    if (device.is_cuda()) {
      // float32 tolerances: keep TF32 off.
      at::globalContext().setAllowTF32CuBLAS(false);
      at::globalContext().setAllowTF32CuDNN(false);
    }
    auto model = focal::eval::model_from_config_file(args.get("config"));
    const auto checkpoint = args.get("checkpoint");
    focal::io::load_state_dict(*model, model->adapt_checkpoint(focal::io::read_state_dict(checkpoint)),
                               /*strict=*/true, checkpoint);

    const auto reference = focal::eval::read_reference(args.get("reference"));
    const auto tolerances = dtype ? focal::eval::bf16_tolerances() : focal::eval::Tolerances{};
    const auto result = focal::eval::verify_model(*model, reference, device, tolerances, dtype);
    std::printf(
        "dtype %s on %s: %s\n", dtype ? "bf16 (autocast)" : "fp32", device.str().c_str(),
        dtype ? "differences relative to each tensor's largest reference magnitude"
              : "outputs and loss absolute, gradients relative to each tensor's largest reference magnitude");
    std::printf("%-70s %12s %10s\n", "reference tensor", "max diff", "tolerance");
    for (const auto& row : result.rows) {
      std::printf("%-70s %12.3e %10.1e %s\n", row.name.c_str(), row.difference, row.tolerance,
                  row.passed ? "ok" : "FAIL");
    }
    for (const auto& problem : result.problems) std::printf("problem: %s\n", problem.c_str());
    const auto failed =
        std::count_if(result.rows.begin(), result.rows.end(), [](auto& r) { return !r.passed; });
    std::printf("%zu tensors compared, %ld outside tolerance, %zu problems: %s\n", result.rows.size(),
                static_cast<long>(failed), result.problems.size(), result.passed() ? "PASS" : "FAIL");
    return result.passed() ? 0 : 1;
  } catch (const c10::Error& e) {
    std::cerr << "focal-verify: " << e.what_without_backtrace() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "focal-verify: " << e.what() << "\n";
    return 2;
  }
}
