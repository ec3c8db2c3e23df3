"""timm's HaloNet CPU throughput, with the protocol of our `halonet-compare` executable.

Usage: timm_speed.py [--model halonet_h1] [--batch 8] [--size 256] [--warmup 1] [--iters 3] [--threads N]
                     [--mode forward|train|both]
Prints "timm <model> <mode> batch <B> size <S> threads <T> images/s <X>" per mode.
"""
import argparse
import time

import timm
import torch


def images_per_second(model, images, warmup, iterations, backward):
    def step():
        if backward:
            model.zero_grad()
            model(images).sum().backward()
        else:
            with torch.no_grad():
                model(images)

    model.train(backward)
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    return images.shape[0] * iterations / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model', default='halonet_h1')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--mode', default='both', choices=['forward', 'train', 'both'])
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = timm.create_model(args.model)
    images = torch.randn(args.batch, 3, args.size, args.size)
    for mode in ('forward', 'train'):
        if args.mode not in (mode, 'both'):
            continue
        ips = images_per_second(model, images, args.warmup, args.iters, mode == 'train')
        print(f'timm {args.model} {mode} batch {args.batch} size {args.size} '
              f'threads {torch.get_num_threads()} images/s {ips:.3f}', flush=True)


if __name__ == '__main__':
    main()
