#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs the whole suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/build.sh
cd "${FOCAL_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1200 -j "${FOCAL_TEST_JOBS:-2}" "$@"
