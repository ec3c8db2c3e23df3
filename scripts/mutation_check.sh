#!/usr/bin/env bash
# Plants small bugs in a scratch copy of the working tree, one at a time, and reports which of them the test
# suite catches. Run by hand (not in CI). Each mutation recompiles one file and relinks the test executables
# that use it. The scratch copy needs a build of its own; CMake writes absolute paths into a build folder, so
# the script either
#   - copies this checkout's build/ too and works in a private mount namespace (unshare -m, as root) where the
#     copy is mounted at this checkout's path: no cold build, nothing visible outside the namespace; or
#   - (--cold, or without unshare) configures and builds the copy from scratch (a full build, once per DIR).
#
# usage: scripts/mutation_check.sh [--scratch DIR] [--list FILE] [--only NAME_REGEX] [--jobs N] [--all-tests]
#                                  [--extended] [--cold]
#   --scratch DIR   where the copy (and its build) live (default /tmp/focal-mutation)
#   --list FILE     mutations to plant (default: the list at the end of this script)
#   --only REGEX    plant only the mutations whose name matches
#   --all-tests     run the whole suite for every mutation instead of the labels the mutation names
#   --extended      the default list and 14 more (about 1.5 min each on 2 cores)
# FOCAL_BUILD_LOCK: a lock file to hold (flock) while build/ is copied, when other builds may run in it.
#
# A mutation is a block of the list:
#   ## <name>
#   file: <path relative to the repository root>
#   labels: <CTest labels to run, separated by spaces: test_train test_data ...; the executables' names>
#   - <a line of the original, exactly>          (one or more; together they must occur exactly once)
#   + <its replacement>                          (zero or more)
# The suite "catches" a mutation when at least one test of the selection fails (or the build breaks, which is
# reported separately). The baseline (no mutation) must pass first.
# The default list: the trainer's wiring, an augmentation, the geometry and the checkpoint writer.
default_mutations() {
  cat <<'END_OF_MUTATIONS'
## trainer: LR scheduler stepped one step ahead
file: train/trainer.cpp
labels: test_train
-       s.scheduler->step_update(epoch * n + idx);
+       s.scheduler->step_update(epoch * n + idx + 1);

## trainer: EMA update removed
file: train/trainer.cpp
labels: test_train
-       if (s.ema) s.ema->update(*s.model);

## trainer: TRAIN.PRETRAINED ignored
file: train/trainer.cpp
labels: test_train
-   if (!st.pretrained.empty() && !resume_file()) {
+   if (false && !st.pretrained.empty() && !resume_file()) {

## random-resized crop: aspect ratio uniform instead of log-uniform
file: data/transforms/random_resized_crop.cpp
labels: test_data
-     const double aspect = std::exp(rng.uniform(log_lo, log_hi));
+     const double aspect = rng.uniform(o.ratio_min(), o.ratio_max());

## geometry: transposed relative-position index of the window
file: focal/layers/attention/relative_position.cpp
labels: test_focal_model test_focal_parity
- torch::Tensor relative_position_index(int64_t ws) { return relative_position_index_to_windows(ws, ws); }
+ torch::Tensor relative_position_index(int64_t ws) { return relative_position_index_to_windows(ws, ws).t().contiguous(); }

## checkpoint writer: max_accuracy written from the EMA's
file: train/checkpoint/training_checkpoint.cpp
labels: test_train
-   d.insert("max_accuracy", c.max_accuracy);
+   d.insert("max_accuracy", c.max_accuracy_ema);
END_OF_MUTATIONS
}

# --extended adds these: more of the wiring, the schedule, the augmentations, the geometry and the writer.
extended_mutations() {
  cat <<'END_OF_MUTATIONS'
## EMA: decay and 1 - decay swapped
file: train/recipe/model_ema.cpp
labels: test_train
-       e.mul_(d).add_(m.detach().to(e.device()), 1.0 - d);  // (same shape as the parameter)
+       e.mul_(1.0 - d).add_(m.detach().to(e.device()), d);  // (same shape as the parameter)

## trainer: gradient clipping dropped
file: train/trainer.cpp
labels: test_train
-       s.last_grad_norm = clip_grad_norm(s.params, st.clip_grad);
+       s.last_grad_norm = clip_grad_norm(s.params, 0.0);

## trainer: best.pth copied after every epoch
file: train/trainer.cpp
labels: test_train
-     if (improved) copy_checkpoint(last, run_dir_ / "best.pth");
+     copy_checkpoint(last, run_dir_ / "best.pth");

## trainer: SAVE_FREQ counted from epoch 1
file: train/trainer.cpp
labels: test_train
-     if (epoch % st.save_freq == 0 || epoch == st.epochs - 1) {
+     if ((epoch + 1) % st.save_freq == 0 || epoch == st.epochs - 1) {

## schedule: warm-up ramps one step late
file: train/recipe/lr_scheduler.cpp
labels: test_train
-     return o.warmup_lr_init() + static_cast<double>(t) * slope;
+     return o.warmup_lr_init() + static_cast<double>(t > 0 ? t - 1 : 0) * slope;

## schedule: cosine over the decay part only
file: train/recipe/lr_scheduler.cpp
labels: test_train
-   double t_i = static_cast<double>(o.t_initial());
+   double t_i = static_cast<double>(o.t_initial() - o.warmup_t());

## random erasing: box area not divided by the count
file: data/transforms/random_erasing.cpp
labels: test_data
-       const double target_area = rng.uniform(o.min_area(), o.max_area()) * area / static_cast<double>(count);
+       const double target_area = rng.uniform(o.min_area(), o.max_area()) * area;

## RandAugment: magnitude noise ignored
file: data/transforms/rand_augment.cpp
labels: test_data
-       magnitude = rng.normal(magnitude, options_.magnitude_std());
+       magnitude = rng.normal(magnitude, 0.0);

## Mixup: switch probability inverted
file: data/transforms/mixup.cpp
labels: test_data
-     const bool cutmix = uniform01(gen) < o_.switch_prob;
+     const bool cutmix = uniform01(gen) >= o_.switch_prob;

## RRC: fallback clamps to the wrong end of the ratio range
file: data/transforms/random_resized_crop.cpp
labels: test_data
-     w = static_cast<int64_t>(std::nearbyint(static_cast<double>(h) * o.ratio_max()));
+     w = static_cast<int64_t>(std::nearbyint(static_cast<double>(h) * o.ratio_min()));

## geometry: padded pooled keys not masked
file: focal/focal_v1/focal_geometry.cpp
labels: test_focal_model test_focal_parity
-           mask_acc[w][slot + j] = -100.0f;
+           mask_acc[w][slot + j] = 0.0f;

## geometry: rolled keys shifted the other way
file: focal/focal_v1/focal_geometry.cpp
labels: test_focal_model test_focal_parity
-             const int64_t y = ((w / g.windows_w) * ws + a - shifts[d][0] % hp + hp) % hp;
+             const int64_t y = ((w / g.windows_w) * ws + a + shifts[d][0] % hp + hp) % hp;

## checkpoint writer: epoch written one ahead
file: train/checkpoint/training_checkpoint.cpp
labels: test_train
-   d.insert("epoch", c.epoch);
+   d.insert("epoch", c.epoch + 1);

## checkpoint writer: max_accuracy_ema not written from its own field
file: train/checkpoint/training_checkpoint.cpp
labels: test_train
-   d.insert("max_accuracy_ema", c.max_accuracy_ema);
+   d.insert("max_accuracy_ema", c.max_accuracy);
END_OF_MUTATIONS
}

set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=/tmp/focal-mutation
list=""
only=""
jobs=$(nproc)
all_tests=0
extended=0
cold=0
inside=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scratch) scratch=$2; shift 2 ;;
    --list) list=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --all-tests) all_tests=1; shift ;;
    --cold) cold=1; shift ;;
    --extended) extended=1; shift ;;
    --inside) inside=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$list" ]; then
  list=$scratch/mutations.txt
  mkdir -p "$scratch"
  default_mutations > "$list"
  if [ "$extended" = 1 ]; then
    echo >> "$list"
    extended_mutations >> "$list"
  fi
fi

src=$scratch/src
build=$scratch/build
log=$scratch/log

copy_tree() {
  echo "== copying the working tree to $src"
  mkdir -p "$src" "$log"
  # Tracked and untracked files that git does not ignore, as they are now (uncommitted edits included), with
  # their modification times, so that a copied build folder sees them as up to date.
  (cd "$root" && git ls-files -z -co --exclude-standard) |
    (cd "$root" && python3 -c '
import os, shutil, sys
dst = sys.argv[1]
for p in sys.stdin.buffer.read().split(b"\0"):
    if not p or not os.path.isfile(p):
        continue
    p = p.decode()
    target = os.path.join(dst, p)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy2(p, target)
' "$src")
}

if [ "$inside" = 0 ]; then
  copy_tree
  if [ "$cold" = 0 ] && [ -f "$root/build/CMakeCache.txt" ] && unshare -m --propagation private true 2>/dev/null; then
    echo "== copying $root/build (the copy is mounted at $root in a private mount namespace)"
    rm -rf "$src/build"
    if [ -n "${FOCAL_BUILD_LOCK:-}" ]; then
      flock "$FOCAL_BUILD_LOCK" cp -a "$root/build" "$src/build"
    else
      cp -a "$root/build" "$src/build"
    fi
    mkdir -p "$src/.venv" "$scratch/venv"
    args=(--scratch "$scratch" --list "$list" --jobs "$jobs")
    [ -n "$only" ] && args+=(--only "$only")
    [ "$all_tests" = 1 ] && args+=(--all-tests)
    exec unshare -m --propagation private bash -c '
      set -e
      mount --bind "$1/.venv" "$2/venv"
      mount --bind "$2/src" "$1"
      mount --bind "$2/venv" "$1/.venv"
      shift 2
      exec "$@"' _ "$root" "$scratch" "$root/scripts/mutation_check.sh" --inside "${args[@]}"
  fi
  # Cold: a build folder of its own for the copy, built once.
  ln -sfn "$root/.venv" "$src/.venv"
  if [ ! -f "$build/CMakeCache.txt" ]; then
    echo "== configuring $build (a full build follows)"
    cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DFOCAL_FIXTURES_DIR="$(cd "$root/.." && pwd)/shared/fixtures/focal" \
      -DFOCAL_BENCH_DIR="$(cd "$root/.." && pwd)/shared/bench" \
      -DFOCAL_PYTHON="$root/.venv/bin/python" > "$log/configure.txt"
  fi
else
  # In the namespace: $root is the copy, with the copied build folder.
  src=$root
  build=$root/build
fi
mkdir -p "$log"

# The list, parsed into one folder per mutation: name, file, labels, old.txt, new.txt.
parsed=$scratch/parsed
rm -rf "$parsed"
python3 - "$list" "$parsed" "$only" <<'EOF'
import os, re, sys
path, out, only = sys.argv[1], sys.argv[2], sys.argv[3]
blocks, cur = [], None
for line in open(path):
    line = line.rstrip('\n')
    if line.startswith('## '):
        cur = dict(name=line[3:].strip(), file='', labels='', old=[], new=[])
        blocks.append(cur)
    elif cur is None or not line.strip():
        continue
    elif line.startswith('file:'):
        cur['file'] = line[5:].strip()
    elif line.startswith('labels:'):
        cur['labels'] = line[7:].strip()
    elif line.startswith('- ') or line == '-':
        cur['old'].append(line[2:])
    elif line.startswith('+ ') or line == '+':
        cur['new'].append(line[2:])
    else:
        sys.exit('mutation list: cannot read line: ' + line)
n = 0
for b in blocks:
    if only and not re.search(only, b['name']):
        continue
    d = os.path.join(out, '%02d' % n)
    os.makedirs(d)
    for key in ('name', 'file', 'labels'):
        open(os.path.join(d, key), 'w').write(b[key])
    open(os.path.join(d, 'old.txt'), 'w').write('\n'.join(b['old']) + '\n')
    open(os.path.join(d, 'new.txt'), 'w').write('\n'.join(b['new']) + ('\n' if b['new'] else ''))
    n += 1
print('%d mutations' % n)
EOF

# Test executables named by the labels of the mutations (all of them with --all-tests).
targets=$(awk 1 "$parsed"/*/labels | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ "$all_tests" = 1 ]; then targets=""; fi

build_targets() {
  if [ -z "$targets" ]; then
    cmake --build "$build" --parallel "$jobs"
  else
    local t args=()
    for t in $targets; do args+=(--target "$t"); done
    cmake --build "$build" --parallel "$jobs" "${args[@]}"
  fi
}

run_tests() {  # $1: labels (empty: all); $2: output file
  local args=(--output-on-failure --timeout 900 -j "$jobs")
  if [ -n "$1" ] && [ "$all_tests" = 0 ]; then args+=(-L "^($(echo "$1" | tr ' ' '|'))\$"); fi
  (cd "$build" && ctest "${args[@]}") > "$2" 2>&1
}

echo "== baseline build and tests (no mutation)"
if ! build_targets > "$log/baseline_build.txt" 2>&1; then
  echo "baseline build failed, see $log/baseline_build.txt"; exit 1
fi
if ! run_tests "$targets" "$log/baseline_tests.txt"; then
  echo "baseline tests fail, see $log/baseline_tests.txt: fix them before judging mutations"; exit 1
fi

results=()
for d in "$parsed"/*/; do
  name=$(cat "$d/name"); file=$(cat "$d/file"); labels=$(cat "$d/labels")
  id=$(basename "$d")
  echo "== [$id] $name ($file)"
  cp "$src/$file" "$d/original"
  if ! python3 - "$src/$file" "$d/old.txt" "$d/new.txt" <<'EOF'
import sys
path, old, new = sys.argv[1], open(sys.argv[2]).read(), open(sys.argv[3]).read()
text = open(path).read()
if text.count(old) != 1:
    sys.exit('the original lines occur %d times in %s' % (text.count(old), path))
open(path, 'w').write(text.replace(old, new))
EOF
  then
    results+=("$id|$name|NOT APPLIED (lines not found once)|")
    continue
  fi
  if ! build_targets > "$log/${id}_build.txt" 2>&1; then
    verdict="BUILD FAILS"
    failing=""
  elif run_tests "$labels" "$log/${id}_tests.txt"; then
    verdict="MISSED"
    failing=""
  else
    verdict="caught"
    failing=$(grep -E '^\s*[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)' "$log/${id}_tests.txt" |
      sed -E 's/^\s*[0-9]+ - //' | tr '\n' ';' | sed 's/;$//')
  fi
  cp "$d/original" "$src/$file"
  results+=("$id|$name|$verdict|$failing")
  echo "   $verdict ${failing:+by: $failing}"
done
echo "== restoring the scratch build"
build_targets > "$log/restore_build.txt" 2>&1 || true

echo
echo "| mutation | result | failing tests |"
echo "| --- | --- | --- |"
for r in "${results[@]}"; do
  IFS='|' read -r id name verdict failing <<< "$r"
  echo "| $name | $verdict | ${failing//;/, } |"
done
exit 0
