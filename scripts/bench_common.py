"""The measurement the benchmark scripts share (scripts/bench_original.py, scripts/bench_timm.py), the same as
focal-bench's: random inputs, warm-up steps first, images/s over the timed steps, and peak memory (CUDA
allocator peak, or the process's resident-set high-water mark on the CPU); train = forward, cross-entropy,
backward, AdamW step."""
import argparse
import time

import torch


def bench_arguments(description, model_arg):
    """A parser with --batch-size, --img-size, --device, --dtype, --mode, --warmup, --iters, --threads after
    the script's --model argument (`model_arg`: add_argument keyword arguments)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--model", **model_arg)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="fp32", choices=["fp32", "bf16", "fp16"])
    p.add_argument("--mode", default="both", choices=["forward", "train", "both"])
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    return p


def parse_bench_arguments(p):
    """Parses the command line and applies --threads."""
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


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
