#!/usr/bin/env bash
# Proves that check_dockerfile.sh fails for real: plants one defect into a copy of the Dockerfile (or
# hides hadolint), runs the check, and passes only if the check fails with the expected message.
# Usage: planted_defect.sh CASE CHECKER DOCKERFILE HADOLINT_CONFIG [HADOLINT_SEARCH_DIR...]
# Exit status: 0 the defect was caught; 1 it was not (or the plant did not change the file); 77 the
# check could not run its lint (hadolint absent) for a defect that only the lint can catch.
set -uo pipefail

case_name=$1
checker=$2
dockerfile=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
planted=$work/Dockerfile
cp "$dockerfile" "$planted"

expect_status=1
case $case_name in
  hadolint_error)  # a relative WORKDIR is hadolint's error DL3000
    echo "WORKDIR relative/dir" >>"$planted"
    expect="DL3000" ;;
  no_install)  # the install step replaced by hand-written apt-get; install.sh left only in a comment
    sed -i -E '/^[[:space:]]*#/!s#scripts/install\.sh#apt-get update#' "$planted"
    echo "# RUN scripts/install.sh" >>"$planted"
    expect="no RUN instruction runs scripts/install.sh" ;;
  no_build)  # the build step replaced by a bare CMake call; build.sh only echoed
    sed -i -E '/^[[:space:]]*#/!s#scripts/build\.sh#cmake -S . -B build \&\& echo scripts/build.sh#' "$planted"
    expect="no RUN instruction runs scripts/build.sh" ;;
  entrypoint)  # another entry point
    sed -i -E 's#^ENTRYPOINT .*#ENTRYPOINT ["/bin/bash"]#' "$planted"
    expect="ENTRYPOINT is" ;;
  base_image)  # a base image without CUDA 13 and cuDNN
    sed -i -E 's#^FROM .*#FROM nvidia/cuda:12.8.1-devel-ubuntu24.04#' "$planted"
    expect="not an nvidia/cuda 13.x image with cuDNN" ;;
  hadolint_absent)  # no hadolint: the check is skipped, not passed
    export FOCAL_HADOLINT=$work/no-hadolint
    export FOCAL_REQUIRE_REFERENCES=0
    expect_status=77
    expect="skipped: hadolint is not installed" ;;
  hadolint_required)  # no hadolint but FOCAL_REQUIRE_REFERENCES=1: a failure
    export FOCAL_HADOLINT=$work/no-hadolint
    export FOCAL_REQUIRE_REFERENCES=1
    expect="FOCAL_REQUIRE_REFERENCES=1" ;;
  *)
    echo "unknown case $case_name" >&2
    exit 1 ;;
esac
if [[ $case_name != hadolint_* ]] && cmp -s "$dockerfile" "$planted"; then
  echo "FAIL: planting '$case_name' did not change $dockerfile; update the case to the Dockerfile"
  exit 1
fi

output=$("$checker" "$planted" "$@" 2>&1)
status=$?
printf '%s\n' "$output" | sed 's/^/  | /'
if ((status == expect_status)) && grep -qF -- "$expect" <<<"$output"; then
  echo "ok: planted '$case_name' -> exit $status with \"$expect\""
  exit 0
fi
if [[ $case_name == hadolint_error ]] && ((status == 77)); then
  echo "skipped: this defect is caught by hadolint only, which is not installed"
  exit 77
fi
echo "FAIL: planted '$case_name' -> exit $status; expected exit $expect_status with \"$expect\""
exit 1
