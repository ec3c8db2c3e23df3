"""PyTorch baseline for focal-data-bench: torchvision transforms on Pillow images, ImageFolder, and a
DataLoader with the same number of workers. Prints the same columns as focal-data-bench.

    python torch_dataloader_baseline.py --data DIR [--workers N] [--batches K] [--batch-size B]
                                        [--transform train|train-ra|eval|all]

"train": RandomResizedCrop(224, bicubic) + flip + ToTensor + Normalize; "train-ra": timm's
create_transform for the Focal/Swin recipe (RandAugment rand-m9-mstd0.5-inc1, RandomErasing 0.25 pixel);
"eval": Resize(256, bicubic) + CenterCrop(224) + ToTensor + Normalize.
"""
import argparse
import os
import resource
import time

import torch
import timm.data.auto_augment as timm_aa
from timm.data import create_transform
from torchvision import datasets
from torchvision import transforms as T

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _posterize(img, bits_to_keep, **_):
    # Pillow >= 12 rejects 0 bits, which timm's PosterizeIncreasing reaches at magnitude 10; earlier
    # Pillow (and focal's pipeline) return black, as the bit mask implies.
    if bits_to_keep <= 0:
        return img.point([0] * 256 * len(img.getbands()))
    return timm_aa.posterize(img, bits_to_keep)


for _name in ("Posterize", "PosterizeIncreasing", "PosterizeOriginal"):
    timm_aa.NAME_TO_OP[_name] = _posterize


def build(name):
    bicubic = T.InterpolationMode.BICUBIC
    if name == "train":
        return T.Compose([T.RandomResizedCrop(224, interpolation=bicubic), T.RandomHorizontalFlip(),
                          T.ToTensor(), T.Normalize(MEAN, STD)])
    if name == "train-ra":
        return create_transform(224, is_training=True, color_jitter=0.4, auto_augment="rand-m9-mstd0.5-inc1",
                                re_prob=0.25, re_mode="pixel", re_count=1, interpolation="bicubic")
    if name == "eval":
        return T.Compose([T.Resize(256, interpolation=bicubic), T.CenterCrop(224), T.ToTensor(),
                          T.Normalize(MEAN, STD)])
    raise ValueError(name)


def cpu_seconds():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def run(args, name):
    ds = datasets.ImageFolder(args.data, transform=build(name))
    train = name != "eval"
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=train, drop_last=train,
                                         num_workers=args.workers, persistent_workers=False)
    it = iter(loader)

    def next_batch():
        nonlocal it
        try:
            return next(it)
        except StopIteration:
            it = iter(loader)
            return next(it)

    next_batch()  # warm-up, as focal-data-bench
    cpu0, t0, images = cpu_seconds(), time.perf_counter(), 0
    for _ in range(args.batches):
        images += next_batch()[0].shape[0]
    wall = time.perf_counter() - t0
    del it  # joins the workers so that their CPU time is accounted
    cpu = cpu_seconds() - cpu0
    cores = 1 if args.workers == 0 else min(args.workers, os.cpu_count())
    print("%-9s %8d %9.2f %11.1f %14.1f %16.1f" % (name, images, wall, images / wall, images / wall / cores,
                                                     images / cpu), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batches", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--transform", default="all")
    args = p.parse_args()
    torch.set_num_threads(1)
    print("%-9s %8s %9s %11s %14s %16s" % ("transform", "images", "seconds", "images/s", "images/s/core",
                                            "images/cpu-s"))
    for name in (["train", "train-ra", "eval"] if args.transform == "all" else [args.transform]):
        run(args, name)


if __name__ == "__main__":
    main()
