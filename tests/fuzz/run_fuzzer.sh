#!/usr/bin/env bash
# One bounded libFuzzer run (the CTest entries fuzz_smoke.<name>, and scripts/fuzz.sh run):
#   run_fuzzer.sh FUZZER CORPUS_DIR SECONDS [libFuzzer flags...] -- SEED_DIR...
# CORPUS_DIR is the scratch corpus libFuzzer grows; the seed folders are only read. Exits non-zero on any
# crash, sanitizer report, leak, timeout (10 s per input) or memory blow-up (2 GiB); the input that caused it
# is saved as CORPUS_DIR/../artifacts-<fuzzer>/crash-... (or leak-, timeout-, oom-).
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
shift 3
flags=()
while (($#)) && [[ $1 != -- ]]; do flags+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
here=$(cd "$(dirname "$0")" && pwd)
artifacts="$(dirname "$corpus")/artifacts-$(basename "$fuzzer")"
mkdir -p "$corpus" "$artifacts"
# LibTorch's static initialisers keep allocations for the life of the process (lsan.supp).
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "${flags[@]}" "$corpus" "$@"
