#!/usr/bin/env python3
"""Throughput of a timm model (default swin_tiny_patch4_window7_224), eager or torch.compile, measured as
scripts/bench_original.py and focal-bench measure: random inputs, warm-up steps, images/s over the timed
steps, peak memory; train = forward, cross-entropy, backward, AdamW step."""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_original import bench_model  # noqa: E402  (the same timing code)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="swin_tiny_patch4_window7_224")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="fp32", choices=["fp32", "bf16", "fp16"])
    p.add_argument("--mode", default="both", choices=["forward", "train", "both"])
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--compile", action="store_true", help="torch.compile the model (default mode)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import timm

    device = torch.device(args.device)
    model = timm.create_model(args.model, pretrained=False, num_classes=1000).to(device)
    if args.compile:
        model = torch.compile(model)
    print(f"timm {timm.__version__} {args.model}{' (torch.compile)' if args.compile else ''}, batch {args.batch_size}, "
          f"input {args.img_size}, {device}, {args.dtype}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
    bench_model(model, args, device, num_classes=1000)


if __name__ == "__main__":
    main()
