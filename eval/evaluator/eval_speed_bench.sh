#!/bin/bash
# Speed of an evaluation pass on the bench corpus (not a test): the data-loading part of focal-eval (its
# loader and eval transform, timed by focal-data-bench --transform eval) against a PyTorch DataLoader with
# torchvision's eval transform on Pillow (eval/data_bench/torch_dataloader_baseline.py), alternated twice in
# one run so that both see the same machine load; then focal-eval end to end (decode, preprocess, model) on
# the same images with the focal_micro_224 fixture weights, and the model's forward throughput alone.
#   eval/evaluator/eval_speed_bench.sh [BUILD_DIR] [WORKERS]
# Needs ../shared/bench, ../shared/fixtures/focal and .venv (torch, torchvision, timm).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
workers=${2:-2}
data=${FOCAL_BENCH_DIR:-../shared/bench}/imagenet-like-jpeg/train
fixtures=${FOCAL_FIXTURES_DIR:-../shared/fixtures/focal}
py=${FOCAL_PYTHON:-.venv/bin/python}
batches=9  # 9 x 64 = 576 of the 600 images (plus one warm-up batch each)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); workers $workers"
for round in 1 2; do
  echo "== round $round: data loading, eval transform (resize 256 bicubic, centre crop 224, normalise)"
  echo "-- focal (focal-data-bench)"
  "$build/bin/focal-data-bench" --data "$data" --transform eval --workers "$workers" --batches $batches
  echo "-- PyTorch DataLoader + torchvision"
  "$py" eval/data_bench/torch_dataloader_baseline.py --data "$data" --transform eval --workers "$workers" \
    --batches $batches
done
# focal-eval reads <root>/<class>/... when the root has no val/ folder.
echo "== focal-eval end to end (focal_micro_224 weights, 10 classes, 600 images, batch 64)"
"$build/bin/focal-eval" --cfg tests/eval/focal_micro_224.yaml --checkpoint "$fixtures/focal_micro_224.pth" \
  --data-path "$data" --batch-size 64 --workers "$workers" --print-freq 100 --throughput 2>&1 |
  grep -v "throughput: \(warm-up\|timed\)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
