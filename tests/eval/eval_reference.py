"""Independent reference for tests/eval/focal_eval_test.cpp: the original's eval preprocessing done by Pillow and
torchvision (the original build_transform with TEST.CROP on: Resize(int(256 / 224 * size), bicubic) on the
shorter side, CenterCrop(size), ToTensor, Normalize with the ImageNet mean and std), on an ImageFolder tree.

  eval_reference.py preprocess ROOT SIZE OUT.pth OUT_PATHS.txt
      every image of ROOT/<class>/... in torchvision ImageFolder order; files Pillow cannot open are left out
      (and listed on stderr). OUT.pth holds {'images': (N, 3, SIZE, SIZE) float32, 'labels': (N,) int64},
      OUT_PATHS.txt the N paths, one a line.
"""
import sys

import torch
from PIL import Image
from torchvision import datasets, transforms
from torchvision.transforms import InterpolationMode

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def preprocess(root, size, out, out_paths):
    size = int(size)
    transform = transforms.Compose([
        transforms.Resize(int((256 / 224) * size), interpolation=InterpolationMode.BICUBIC),
        transforms.CenterCrop(size),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])
    folder = datasets.ImageFolder(root)
    images, labels, paths = [], [], []
    for path, label in folder.samples:
        try:
            with open(path, 'rb') as f:
                image = Image.open(f).convert('RGB')
        except Exception as e:  # what a corrupt file raises depends on the decoder
            print(f'skipping {path}: {e}', file=sys.stderr)
            continue
        images.append(transform(image))
        labels.append(label)
        paths.append(path)
    torch.save({'images': torch.stack(images), 'labels': torch.tensor(labels, dtype=torch.int64)}, out)
    with open(out_paths, 'w') as f:
        f.write(''.join(p + '\n' for p in paths))


if __name__ == '__main__':
    if len(sys.argv) == 6 and sys.argv[1] == 'preprocess':
        preprocess(*sys.argv[2:])
    else:
        sys.exit(__doc__)
