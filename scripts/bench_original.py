#!/usr/bin/env python3
"""Throughput of the original PyTorch Focal Transformer, to compare with `focal-bench` on the same machine.

The original implementation is not part of this project: point --original at your copy of
`classification/focal_transformer.py` from the authors' repository. Same measurement as focal-bench:
forward (eval, no grad) and train (forward, cross-entropy, backward, AdamW step), random inputs, warm-up
steps first, images/s over the timed steps, and peak memory (CUDA allocator peak, or the process's
resident-set high-water mark on the CPU).
"""
import argparse
import importlib.util
import time

import torch

MODELS = {  # the registered configurations (same as focal/zoo/focal_registry.cpp)
    "focal_tiny_patch4_window7_224": dict(embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], drop_path_rate=0.2),
    "focal_small_patch4_window7_224": dict(embed_dim=96, depths=[2, 2, 18, 2], num_heads=[3, 6, 12, 24], drop_path_rate=0.3),
    "focal_base_patch4_window7_224": dict(embed_dim=128, depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32], drop_path_rate=0.5),
}


def peak_mib(device):
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak(device):
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    else:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")


def timed(step, args, device):
    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    reset_peak(device)
    start = time.perf_counter()
    for _ in range(args.iters):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    return args.batch_size * args.iters / seconds, 1e3 * seconds / args.iters, peak_mib(device)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--original", required=True, help="path to the original focal_transformer.py")
    p.add_argument("--model", default="focal_tiny_patch4_window7_224", choices=sorted(MODELS))
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="fp32", choices=["fp32", "bf16", "fp16"])
    p.add_argument("--mode", default="both", choices=["forward", "train", "both"])
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    spec = importlib.util.spec_from_file_location("original_focal_transformer", args.original)
    original = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(original)
    device = torch.device(args.device)
    model = original.FocalTransformer(img_size=args.img_size, focal_levels=[2, 2, 2, 2], focal_windows=[7, 5, 3, 1],
                                      expand_sizes=[3, 3, 3, 3], focal_pool="fc", window_size=7,
                                      **MODELS[args.model]).to(device)
    print(f"original {args.model}, batch {args.batch_size}, input {args.img_size}, {device}, {args.dtype}, "
          f"{torch.get_num_threads()} CPU threads, torch {torch.__version__}")
    bench_model(model, args, device, num_classes=1000)


def bench_model(model, args, device, num_classes):
    """Prints the forward and/or train lines (the format focal-bench prints) for `model` under args."""
    amp = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[args.dtype]
    images = torch.randn(args.batch_size, 3, args.img_size, args.img_size, device=device)
    labels = torch.randint(num_classes, (args.batch_size,), device=device)

    def forward():
        with torch.no_grad(), torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            model(images)

    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)

    def train():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            loss = torch.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()

    if args.mode != "train":
        model.eval()
        ips, ms, mib = timed(forward, args, device)
        print(f"forward  {ips:10.2f} images/s {ms:10.1f} ms/step  peak memory {mib:9.1f} MiB", flush=True)
    if args.mode != "forward":
        model.train()
        ips, ms, mib = timed(train, args, device)
        print(f"train    {ips:10.2f} images/s {ms:10.1f} ms/step  peak memory {mib:9.1f} MiB", flush=True)


if __name__ == "__main__":
    main()
