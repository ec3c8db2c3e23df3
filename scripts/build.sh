#!/usr/bin/env bash
# Configures and builds into build/ (executables in build/bin/). Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${FOCAL_BUILD_DIR:-build}
generator=()
if command -v ninja >/dev/null && [[ ! -f $build_dir/CMakeCache.txt ]]; then generator=(-G Ninja); fi
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=${FOCAL_BUILD_TYPE:-Release} "$@"
cmake --build "$build_dir" --parallel "${FOCAL_JOBS:-$(nproc)}"
