"""Loads a checkpoint the C++ writer produced with torch.load(weights_only=True), Python's restricted loader,
and describes what it finds (canonical text and tensor manifest) for the C++ test to compare.

usage: check_written.py CHECKPOINT OUT_STEM [CHECKPOINT OUT_STEM ...]   -> OUT_STEM.txt, OUT_STEM.manifest
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from canonical import canonical, write_manifest  # noqa: E402


def main():
    for checkpoint, stem in zip(sys.argv[1::2], sys.argv[2::2]):
        obj = torch.load(checkpoint, weights_only=True)
        with open(stem + ".txt", "w") as f:
            f.write(canonical(obj))
        write_manifest(obj, stem + ".manifest")


if __name__ == "__main__":
    main()
