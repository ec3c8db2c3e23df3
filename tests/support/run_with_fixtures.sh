#!/usr/bin/env bash
# Runs a tool on the golden fixtures for CTest, which registers these tests whether or not the fixtures exist.
# usage: run_with_fixtures.sh <configured fixtures dir> [--expect-rejection] <command> [args...]
# Arguments starting with @FIXTURES@/ name files in the fixture folder: FOCAL_FIXTURES_DIR when set, else the
# configured one. Without the fixtures the test exits 77 (CTest's SKIP_RETURN_CODE), or fails when
# FOCAL_REQUIRE_REFERENCES=1. --expect-rejection: the tool must reject its input with exit code 1 or 2.
set -u
dir="${FOCAL_FIXTURES_DIR:-$1}"
shift
expect_rejection=0
if [ "${1:-}" = "--expect-rejection" ]; then
  expect_rejection=1
  shift
fi
if [ ! -f "$dir/focal_micro_224.json" ]; then
  if [ "${FOCAL_REQUIRE_REFERENCES:-}" = "1" ]; then
    echo "FAILED: fixtures not found at $dir, and FOCAL_REQUIRE_REFERENCES=1 forbids skipping"
    exit 1
  fi
  echo "skipped: fixtures not found at $dir"
  exit 77
fi
args=()
for a in "$@"; do
  case "$a" in
    @FIXTURES@/*) args+=("$dir/${a#@FIXTURES@/}") ;;
    *) args+=("$a") ;;
  esac
done
"${args[@]}"
rc=$?
if [ "$expect_rejection" = 1 ]; then
  if [ "$rc" = 1 ] || [ "$rc" = 2 ]; then
    echo "rejected as expected (exit $rc)"
    exit 0
  fi
  echo "FAILED: expected a rejection (exit 1 or 2), got exit $rc"
  exit 1
fi
[ "$rc" = 77 ] && exit 1  # never let the tool's own status pass for a skip
exit "$rc"
