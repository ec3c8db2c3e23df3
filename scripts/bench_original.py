#!/usr/bin/env python3
"""Throughput of the original PyTorch Focal Transformer, to compare with `focal-bench` on the same machine.

The original implementation is not part of this project: point --original at your copy of
`classification/focal_transformer.py` from the authors' repository. Same measurement as focal-bench:
forward (eval, no grad) and train (forward, cross-entropy, backward, AdamW step), random inputs, warm-up
steps first, images/s over the timed steps, and peak memory (CUDA allocator peak, or the process's
resident-set high-water mark on the CPU).
"""
import importlib.util
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import bench_arguments, bench_model, parse_bench_arguments  # noqa: E402

MODELS = {  # the registered configurations (same as focal/zoo/focal_registry.cpp)
    "focal_tiny_patch4_window7_224": dict(embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], drop_path_rate=0.2),
    "focal_small_patch4_window7_224": dict(embed_dim=96, depths=[2, 2, 18, 2], num_heads=[3, 6, 12, 24], drop_path_rate=0.3),
    "focal_base_patch4_window7_224": dict(embed_dim=128, depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32], drop_path_rate=0.5),
}


def main():
    p = bench_arguments(__doc__.splitlines()[0], dict(default="focal_tiny_patch4_window7_224", choices=sorted(MODELS)))
    p.add_argument("--original", required=True, help="path to the original focal_transformer.py")
    args = parse_bench_arguments(p)

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


if __name__ == "__main__":
    main()
