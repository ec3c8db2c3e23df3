#!/usr/bin/env bash
# The clang fuzz build (tests/fuzz/README.md): libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer in
# build-fuzz (FOCAL_FUZZ_BUILD_DIR), separate from build/.
#   scripts/fuzz.sh build                 configure if needed, build the fuzz_<reader> executables
#   scripts/fuzz.sh smoke                 build, replay corpus + regressions under ASan/UBSan, then run every
#                                         target FOCAL_FUZZ_SMOKE_SECONDS (20) seconds
#   scripts/fuzz.sh run TARGET [FLAGS]    a long campaign of one target (e.g. -runs=1000000), niced, on a
#                                         corpus kept in build-fuzz/fuzz/corpus-TARGET
#   scripts/fuzz.sh suite [CTEST ARGS]    build everything in build-fuzz and run the whole test suite under the
#                                         sanitizers (a cold build: 20+ minutes on 2 cores)
# Without clang++ or its libFuzzer runtime (Debian: clang, libclang-rt-14-dev) it exits 77 (skipped).
# Builds run under `nice` with FOCAL_JOBS (2) jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${FOCAL_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FOCAL_JOBS:-2}
targets=(checkpoint config jpeg png jpeg_region image_header tar_shard idx)
cxx=${FOCAL_FUZZ_CXX:-clang++}

have_libfuzzer() {
  command -v "$cxx" >/dev/null || return 1
  local probe
  probe=$(mktemp -d)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe/p.cpp"
  "$cxx" -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>/dev/null
  local rc=$?
  rm -rf "$probe"
  return $rc
}

configure() {
  if ! have_libfuzzer; then
    echo "fuzz: $cxx with libFuzzer and the sanitizer runtimes is not installed (Debian: clang libclang-rt-14-dev)" >&2
    exit 77
  fi
  if [[ ! -f $dir/CMakeCache.txt ]]; then
    local generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    # -O1 with line tables: readable sanitizer reports at a moderate compile cost.
    cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DFOCAL_SANITIZE=address,undefined -DFOCAL_FUZZ=ON \
      -DFOCAL_FUZZ_SMOKE_SECONDS="${FOCAL_FUZZ_SMOKE_SECONDS:-20}"
  else  # regenerates when needed (new files, a failed earlier configure)
    cmake -S . -B "$dir" ${FOCAL_FUZZ_SMOKE_SECONDS:+-DFOCAL_FUZZ_SMOKE_SECONDS="$FOCAL_FUZZ_SMOKE_SECONDS"} >/dev/null
  fi
}

build_fuzzers() {
  configure
  local t=()
  local n
  for n in "${targets[@]}"; do t+=(--target "fuzz_$n" --target "test_fuzz_replay_$n"); done
  nice -n 15 cmake --build "$dir" --parallel "$jobs" "${t[@]}"
}

case ${1:-} in
  build) build_fuzzers ;;
  smoke)
    build_fuzzers
    cd "$dir"
    # The seed corpora and regression inputs replayed under the sanitizers, then each target fuzzed briefly.
    ctest --output-on-failure -L fuzz_replay
    ctest --output-on-failure -L fuzz_smoke
    ;;
  run)
    name=${2:?usage: scripts/fuzz.sh run TARGET [libFuzzer flags]}
    shift 2
    build_fuzzers
    dict=()
    [[ -f tests/fuzz/dict/$name.dict ]] && dict=(-dict="tests/fuzz/dict/$name.dict")
    seeds=(tests/fuzz/corpus/"$name")
    [[ -d tests/fuzz/regressions/$name ]] && seeds+=(tests/fuzz/regressions/"$name")
    exec nice -n 15 tests/fuzz/run_fuzzer.sh "$dir/fuzz/fuzz_$name" "$dir/fuzz/corpus-$name" \
      "${FOCAL_FUZZ_SECONDS:-0}" "${dict[@]}" "$@" -- "${seeds[@]}"
    ;;
  suite)
    shift
    configure
    nice -n 15 cmake --build "$dir" --parallel "$jobs"
    cd "$dir"
    export LSAN_OPTIONS="suppressions=$PWD/../tests/fuzz/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    nice -n 15 ctest --output-on-failure --timeout 3600 -j "${FOCAL_TEST_JOBS:-2}" -LE fuzz_smoke "$@"
    ;;
  *)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
