#!/usr/bin/env bash
# The prepared GPU check (issue 10): parity on CUDA, the [cuda] tests, focal-bench against the original and
# timm, and a short focal-train run, in under 8 minutes, with one JSON and one Markdown report written to
# $OUT (or --out DIR). Run it on a lent GPU machine from the repository root with the bundle of
# scripts/device_bundle.sh carried as .device/ (PERFORMANCE.md says how); `--dry-run` runs the same steps on
# the CPU with tiny sizes. All options: scripts/device_check.sh --help.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${FOCAL_PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3 || command -v python)"; fi
fi
exec "$PY" "$ROOT/scripts/device_check.py" --python "$PY" "$@"
