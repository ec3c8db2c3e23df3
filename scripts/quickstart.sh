#!/usr/bin/env bash
# Quick start on a fresh machine: installs what is missing, builds, shows the model zoo, then trains a small
# Focal Transformer on Fashion-MNIST on the CPU (configs/fmnist_focal_tiny.yaml) and says where the
# results are. Re-running it resumes (or, when finished, just re-reports) the same run.
#   FOCAL_QUICKSTART_CFG     another config to train (default configs/fmnist_focal_tiny.yaml)
#   FOCAL_QUICKSTART_OUTPUT  output root (default output/quickstart)
#   extra arguments go to focal-train, e.g. scripts/quickstart.sh --epochs 2
set -euo pipefail
cd "$(dirname "$0")/.."

cfg=${FOCAL_QUICKSTART_CFG:-configs/fmnist_focal_tiny.yaml}
output=${FOCAL_QUICKSTART_OUTPUT:-output/quickstart}
build_dir=${FOCAL_BUILD_DIR:-build}

scripts/install.sh
scripts/build.sh

if [[ -x $build_dir/bin/focal-info ]]; then
  "$build_dir/bin/focal-info" || echo "[quickstart] focal-info failed; continuing with training"
else
  echo "[quickstart] $build_dir/bin/focal-info is not built; skipping the model overview"
fi

train=$build_dir/bin/focal-train
if [[ ! -x $train ]]; then
  echo "[quickstart] $train was not built" >&2
  exit 1
fi

echo "[quickstart] training with $cfg (CPU); interrupt with Ctrl-C and run again to resume"
start=$(date +%s)
status=0
"$train" --cfg "$cfg" --output "$output" "$@" || status=$?
elapsed=$(($(date +%s) - start))

# The run folder is <output>/<MODEL.NAME>/<TAG>; read both back from the config as focal-train resolved it.
run_dir=$(ls -td "$output"/*/*/ 2>/dev/null | head -n 1)
run_dir=${run_dir%/}
echo
echo "[quickstart] focal-train finished with status $status after ${elapsed}s"
if [[ -n $run_dir && -d $run_dir ]]; then
  echo "[quickstart] run folder:   $run_dir"
  # Only what exists: a run stopped in its first epoch has no metrics, curves or best.pth yet.
  show() { if [[ -e $run_dir/$2 ]]; then printf '  %-14s %s\n' "$1:" "$run_dir/$2"; fi; }
  show config config.yaml
  show log log.txt
  show metrics metrics.csv
  show "curves (PNG)" curves.png
  if [[ -d $run_dir/tensorboard ]]; then echo "  TensorBoard:   tensorboard --logdir $run_dir/tensorboard"; fi
  checkpoints=""
  for f in "$run_dir"/last.pth "$run_dir"/best.pth "$run_dir"/ckpt_epoch_*.pth; do
    if [[ -e $f ]]; then checkpoints+="${checkpoints:+, }$f"; fi
  done
  if [[ -n $checkpoints ]]; then echo "  checkpoints:   $checkpoints"; fi
  if [[ ! -e $run_dir/metrics.csv ]]; then
    echo "  (no epoch has finished yet: run scripts/quickstart.sh again to resume)"
  fi
  if [[ -f $run_dir/metrics.csv ]]; then
    echo "  last epoch:    $(tail -n 1 "$run_dir/metrics.csv" | awk -F, '{printf "epoch %s, top-1 %s%%, top-5 %s%%, best top-1 %s%%", $1, $7, $8, $12}')"
  fi
fi
exit $status
