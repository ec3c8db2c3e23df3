"""Samples timm's augmentation parameters, for the distribution tests of augment_distribution_test.cpp.

usage: timm_distributions.py OUT_DIR JOB [JOB ...]
A job is NAME=KIND,ARG,ARG,...; it writes OUT_DIR/NAME.txt, one line per call of timm's code:
  rrc,W,H,N,SEED                       RandomResizedCropAndInterpolation.get_params: "x y w h"
  erasing,H,W,N,SEED,P,AMIN,AMAX,ASPECT,CMIN,CMAX
                                       RandomErasing._erase on an H x W image: "k x y w h ..." (k boxes)
  randaug,SPEC,N,SEED                  rand_augment_transform(SPEC) as create_transform builds it: "k name arg ..."
                                       (the ops applied, with their level arguments)
  mixup,N,SEED,MIXUP,CUTMIX,PROB,SWITCH[,MINMAX_LO,MINMAX_HI]
                                       Mixup on a batch (zeros, ones), labels (0, 1), 2 classes, no
                                       smoothing: "kind lam yl yh xl xh", kind none | mixup | cutmix (the
                                       pasted box; zeros for the others)
Exits with 77 when torch, timm or Pillow cannot be imported (the C++ test then skips).
"""
import random
import sys

try:
    import numpy as np
    import torch
    from PIL import Image
    import timm.data.auto_augment as auto_augment
    import timm.data.random_erasing as random_erasing
    from timm.data.mixup import Mixup
    from timm.data.transforms import RandomResizedCropAndInterpolation
except ImportError as e:
    print('missing reference package:', e)
    sys.exit(77)


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def rrc(out, w, h, n, seed):
    seed_all(int(seed))
    img = Image.new('L', (int(w), int(h)))
    for _ in range(int(n)):
        i, j, bh, bw = RandomResizedCropAndInterpolation.get_params(img, (0.08, 1.0), (3. / 4., 4. / 3.))
        out.write(f'{j} {i} {bw} {bh}\n')


class BoxRecorder:
    """Stands in for the image tensor: records the slices RandomErasing writes to."""

    def __init__(self):
        self.boxes = []

    def __setitem__(self, key, value):
        _, ys, xs = key
        self.boxes.append((xs.start, ys.start, xs.stop - xs.start, ys.stop - ys.start))


def erasing(out, h, w, n, seed, p, amin, amax, aspect, cmin, cmax):
    seed_all(int(seed))
    random_erasing._get_pixels = lambda *args, **kwargs: None  # the fill is not what is sampled here
    re = random_erasing.RandomErasing(float(p), min_area=float(amin), max_area=float(amax),
                                      min_aspect=float(aspect), mode='pixel', min_count=int(cmin),
                                      max_count=int(cmax), device='cpu')
    for _ in range(int(n)):
        rec = BoxRecorder()
        re._erase(rec, 3, int(h), int(w), torch.float32)
        out.write(' '.join([str(len(rec.boxes))] + [f'{x} {y} {bw} {bh}' for x, y, bw, bh in rec.boxes]) + '\n')


def randaug(out, spec, n, seed):
    seed_all(int(seed))
    # create_transform's hparams for 224-pixel images with bicubic interpolation and ImageNet mean.
    hparams = dict(translate_const=int(224 * 0.45), img_mean=(124, 116, 104), interpolation=Image.BICUBIC)
    ra = auto_augment.rand_augment_transform(spec, hparams)
    applied = []

    def recorder(name):
        def record(img, *args, **kwargs):
            applied.append((name, args[0] if args else 0))
            return img
        return record

    for op in ra.ops:
        op.aug_fn = recorder(op.name)
    img = Image.new('RGB', (8, 8))
    for _ in range(int(n)):
        applied.clear()
        ra(img)
        out.write(' '.join([str(len(applied))] + [f'{name} {float(arg)!r}' for name, arg in applied]) + '\n')


def mixup(out, n, seed, mix, cut, prob, switch, lo=None, hi=None):
    seed_all(int(seed))
    minmax = None if lo is None else (float(lo), float(hi))
    m = Mixup(mixup_alpha=float(mix), cutmix_alpha=float(cut), cutmix_minmax=minmax, prob=float(prob),
              switch_prob=float(switch), mode='batch', label_smoothing=0.0, num_classes=2)
    labels = torch.tensor([0, 1])
    for _ in range(int(n)):
        x = torch.zeros(2, 1, 32, 32)
        x[1] = 1
        x, target = m(x, labels)
        first = x[0, 0]
        box = (0, 0, 0, 0)
        if bool(((first != 0) & (first != 1)).any()) or bool((first == 1).all()):
            kind = 'mixup'  # a blend: one constant value 1 - lam
        elif bool((first == 1).any()):
            kind = 'cutmix'  # a pasted box of ones
            ys, xs = (first == 1).nonzero(as_tuple=True)
            box = (int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1)
        else:
            kind = 'none'
        out.write(f'{kind} {float(target[0, 0])!r} ' + ' '.join(map(str, box)) + '\n')


KINDS = dict(rrc=rrc, erasing=erasing, randaug=randaug, mixup=mixup)

if __name__ == '__main__':
    out_dir = sys.argv[1]
    for job in sys.argv[2:]:
        name, spec = job.split('=', 1)
        kind, *args = spec.split(',')
        with open(f'{out_dir}/{name}.txt', 'w') as out:
            KINDS[kind](out, *args)
