#!/usr/bin/env python3
"""Throughput of a timm model (default swin_tiny_patch4_window7_224), eager or torch.compile, measured as
scripts/bench_original.py and focal-bench measure (scripts/bench_common.py)."""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import bench_arguments, bench_model, parse_bench_arguments  # noqa: E402


def main():
    p = bench_arguments(__doc__.splitlines()[0], dict(default="swin_tiny_patch4_window7_224"))
    p.add_argument("--compile", action="store_true", help="torch.compile the model (default mode)")
    args = parse_bench_arguments(p)
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
