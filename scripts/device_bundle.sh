#!/usr/bin/env bash
# Fills .device/ (git-ignored, under 64 MiB) with everything scripts/device_check.sh needs on a lent GPU
# machine that has the torch wheel (torch 2.11.0+cu130), CUDA 13 and Python with torch, timm and Pillow, but
# no OpenCV, yaml-cpp or spdlog and no package registry:
#   runtime.tar.xz, holding (device_check.py unpacks it):
#   bin/    focal-train, focal-bench, focal-verify, focal-info (stripped), built here with CUDA
#   tests/  every test binary that has [cuda] test cases (found by asking each binary), stripped
#   lib/    every shared library those need that is neither in the torch wheel (torch/lib, nvidia/*) nor
#           part of glibc; libstdc++ and libgcc_s are included, newer than older systems' copies.
#           OpenCV links GDAL and GDCM (imgcodecs: geospatial rasters, DICOM), LAPACK/BLAS and GL/X11 (core):
#           about 170 MB with their own dependencies, none of it used by focal. They are replaced by stubs
#           generated here: every symbol the other libraries import from them, defined to abort with a
#           message naming it if ever called (reading a DICOM image would).
#   fixtures/  the parity fixtures (focal/, focalv2/: .json, .pth, .io.pth), xz-compressed, as many as fit
#           in the size limit, in a fixed order of coverage, one family after the other in turn; MANIFEST lists
#           those left out.
#   original/  the original focal_transformer.py if present in .device/original (the Python baseline; it is
#           never part of the repository: fetch it yourself, see PERFORMANCE.md).
#   MANIFEST   what is in the bundle, its size, the torch version it was built against.
# Usage: scripts/device_bundle.sh [--build-dir DIR] [--out DIR] [--max-mib N] [--fixtures DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
OUT="$ROOT/.device"
MAX_MIB=64
FIXTURES="${FOCAL_FIXTURES_DIR:-$ROOT/../shared/fixtures}"
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD="$(cd "$2" && pwd)"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --max-mib) MAX_MIB="$2"; shift 2 ;;
    --fixtures) FIXTURES="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "device_bundle.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
# FOCAL_FIXTURES_DIR may name the focal/ folder itself (as the tests take it): use its parent then.
[ -f "$FIXTURES/focal_micro_224.json" ] && FIXTURES="$(dirname "$FIXTURES")"
for tool in strip readelf nm ldd xz cc; do
  command -v "$tool" >/dev/null || { echo "device_bundle.sh: '$tool' not found" >&2; exit 2; }
done
[ -x "$BUILD/bin/focal-train" ] || { echo "device_bundle.sh: $BUILD/bin/focal-train not built (build first)" >&2; exit 2; }
TORCH_DIR="$(sed -n 's/^Torch_DIR:PATH=//p' "$BUILD/CMakeCache.txt")"           # .../torch/share/cmake/Torch
TORCH_LIB="$(cd "$TORCH_DIR/../../../lib" && pwd)"                              # .../torch/lib
SITE="$(cd "$TORCH_LIB/../.." && pwd)"                                            # .../site-packages
grep -q "CUDA" "$TORCH_DIR/TorchConfig.cmake" 2>/dev/null || true
ls "$TORCH_LIB"/libtorch_cuda.so >/dev/null 2>&1 ||
  { echo "device_bundle.sh: $TORCH_LIB has no libtorch_cuda.so: the build is not CUDA-enabled" >&2; exit 2; }
TORCH_VERSION="$(cat "$TORCH_DIR/../../../version.py" 2>/dev/null | sed -n "s/^__version__ = '\(.*\)'/\1/p")"

rm -rf "$OUT/bin" "$OUT/tests" "$OUT/lib" "$OUT/fixtures" "$OUT/MANIFEST" "$OUT/stubs" "$OUT/runtime.tar.xz"
mkdir -p "$OUT/bin" "$OUT/tests" "$OUT/lib" "$OUT/fixtures" "$OUT/stubs"

copy_stripped() {  # copy_stripped SRC DESTDIR
  cp -L "$1" "$2/" && strip --strip-unneeded "$2/$(basename "$1")"
}
for exe in focal-train focal-bench focal-verify focal-info; do copy_stripped "$BUILD/bin/$exe" "$OUT/bin"; done
cuda_tests=()
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] && [ -f "$t" ] || continue
  [ "$(basename "$t")" = test_skip_support ] && continue  # its [cuda] case demonstrates the tag filter
  # Catch2 lists the names of the cases a spec selects; binaries without [cuda] cases list none.
  # (Catch2 exits with the number of names listed: the status says nothing here.)
  names="$("$t" --list-test-names-only "[cuda]" 2>/dev/null || true)"
  if grep -q '[a-z]' <<<"$names"; then
    copy_stripped "$t" "$OUT/tests"
    cuda_tests+=("$(basename "$t")")
  fi
done

# Libraries that the GPU machine has: the torch wheel's, CUDA's, glibc's.
provided() {
  case "$1" in
    "$TORCH_LIB"/*|"$SITE"/nvidia/*|"$SITE"/torch/*) return 0 ;;
  esac
  case "$(basename "$1")" in
    libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libutil.so.*|ld-linux*|libresolv.so.*) return 0 ;;
    libcuda.so*|libnvidia-*|libcudart.so*|libcublas*|libcudnn*|libnccl*|libnvrtc*|libcufft*|libcurand*) return 0 ;;
  esac
  return 1
}
closure() {  # closure FILES...: the resolved shared libraries, one path a line
  for f in "$@"; do
    LD_LIBRARY_PATH="$OUT/stubs:$TORCH_LIB" ldd "$f" | awk '/=> \//{print $3} /not found/{print "MISSING:" $1}'
  done | sort -u
}
shopt -s nullglob
binaries=("$OUT"/bin/* "$OUT"/tests/*)
shopt -u nullglob

# Stubs for the libraries that only OpenCV's imgcodecs needs and focal never calls.
# GDAL, GDCM (imgcodecs: geospatial rasters, DICOM), LAPACK/BLAS (core: cv::solve, cv::SVD) and GL/X11 (core:
# OpenGL interop) are never used by focal; about 170 MB with what they pull in.
# OpenEXR stays: imgcodecs constructs its objects when it registers its codecs (any imwrite, e.g. curves.png).
stub_pattern='^lib(gdal|gdcm[A-Za-z]*|lapack|blas|cblas|GL|GLX|GLdispatch|OpenGL|X11|xcb)\.so'
# Called by OpenCV whenever imgcodecs registers its codecs (any imread/imwrite): a no-op in the stub.
noop_symbols="GDALAllRegister"
stubbed=()
for lib in $(closure "${binaries[@]}"); do
  base="$(basename "$lib")"
  [[ "$base" =~ $stub_pattern ]] || continue
  stubbed+=("$lib")
done
if [ ${#stubbed[@]} -gt 0 ]; then
  consumers=()
  for lib in $(closure "${binaries[@]}"); do
    [[ "$(basename "$lib")" =~ $stub_pattern ]] && continue
    case "$lib" in MISSING:*) continue ;; esac
    provided "$lib" && continue
    needed="$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')"
    for s in "${stubbed[@]}"; do
      if grep -qx "$(basename "$s")" <<<"$needed"; then consumers+=("$lib"); break; fi
    done
  done
  nm -D --undefined-only "${consumers[@]}" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' | sort -u >"$OUT/stubs/undefined.txt"
  for s in "${stubbed[@]}"; do
    base="$(basename "$s")"
    src="$OUT/stubs/${base}.c"
    {
      echo "/* Generated by scripts/device_bundle.sh: stands in for $base, which focal never calls. */"
      echo "#include <stdio.h>"
      echo "#include <stdlib.h>"
      echo "static void focal_stub_called(const char* name) {"
      echo "  fprintf(stderr, \"focal device bundle: %s from $base was called, but the bundle replaces $base by a stub\\n\", name);"
      echo "  abort();"
      echo "}"
      i=0
      nm -D --defined-only -S "$s" | awk 'NF==4 {print $2, $3, $4}' | sed 's/@.*//' | sort -u -k3,3 |
        while read -r size type sym; do
          grep -qx "$sym" "$OUT/stubs/undefined.txt" || continue
          i=$((i + 1))
          case "$type" in
            T|t|W|w|i)
              if grep -qx "$sym" <<<"$noop_symbols"; then
                echo "void focal_stub_f$i(void) __asm__(\"$sym\"); void focal_stub_f$i(void) {}"
              else
                echo "void focal_stub_f$i(void) __asm__(\"$sym\"); void focal_stub_f$i(void) { focal_stub_called(\"$sym\"); }"
              fi ;;
            *) echo "char focal_stub_d$i[0x$size] __asm__(\"$sym\");" ;;
          esac
        done
    } >"$src"
    cc -shared -fPIC -O1 -o "$OUT/stubs/$base" -Wl,-soname,"$base" "$src"
  done
fi

missing=""
for lib in $(closure "${binaries[@]}"); do
  case "$lib" in MISSING:*) missing="$missing ${lib#MISSING:}"; continue ;; esac
  provided "$lib" && continue
  cp -L "$lib" "$OUT/lib/"
done
[ -z "$missing" ] || { echo "device_bundle.sh: libraries not found here:$missing" >&2; exit 1; }
for s in "${stubbed[@]}"; do cp "$OUT/stubs/$(basename "$s")" "$OUT/lib/"; done
rm -rf "$OUT/stubs"
strip --strip-unneeded "$OUT"/lib/*.so* 2>/dev/null || true

# Check: with only lib/ added, every binary resolves everything outside the torch wheel and glibc.
for f in "${binaries[@]}"; do
  LD_LIBRARY_PATH="$OUT/lib:$TORCH_LIB" ldd "$f" | awk '{print $3}' | grep '^/' | while read -r lib; do
    provided "$lib" && continue
    case "$lib" in "$OUT"/lib/*) ;; *) echo "device_bundle.sh: $(basename "$f") resolves $lib outside the bundle" >&2; exit 1 ;; esac
  done
done

# The executables and libraries travel as one xz archive (a third of their size); device_check.py unpacks it.
tar -C "$OUT" -cf - bin tests lib | xz -9 -T2 >"$OUT/runtime.tar.xz"
runtime_listing="bin: $(cd "$OUT/bin" && ls | tr '\n' ' ')
tests: ${cuda_tests[*]:-}
lib: $(ls "$OUT/lib" | wc -l) libraries"
rm -rf "$OUT/bin" "$OUT/tests" "$OUT/lib"

# Fixtures, in the room left: per family, smallest model first; xz keeps 80-95% of random weights.
used_kib() { du -sk "$OUT" | awk '{print $1}'; }
budget_kib=$((MAX_MIB * 1024 - 256))  # room for the MANIFEST and the scripts' own files
left_out=""
# Round robin over the families, smallest fixture first in each, so that every family gets one if any fits.
# Focal v1 in the order of what they cover (Focal-T geometry first), then any other by size.
priority="focal_micro_224 focal_micro_shift_lscale_prenorm_224 focal_micro_l3_conv_96 focal_micro_useconv_224
focal_micro_mean_even_128 focal_micro_l1_noexpand_224 focalv2_micro_224 focalv2_micro_patch_even_160"
candidates="$(for family in focal focalv2; do
  [ -d "$FIXTURES/$family" ] || continue
  { for p in $priority; do [ -f "$FIXTURES/$family/$p.pth" ] && echo "$FIXTURES/$family/$p.pth"; done
    ls -S -r "$FIXTURES/$family"/*.pth 2>/dev/null | grep -v '\.io\.pth$\|train_ckpt\|legacy'; } |
    awk '!seen[$0]++' | awk -v f="$family" '{print NR, f, $0}'
done | sort -n -s -k1,1 | awk '{print $2 "/" $3}')"
for entry in $candidates; do
  family="${entry%%/*}"
  path="${entry#*/}"
  name="$(basename "$path" .pth)"
  [ -f "$FIXTURES/$family/$name.io.pth" ] && [ -f "$FIXTURES/$family/$name.json" ] || continue
  mkdir -p "$OUT/fixtures/$family"
  cp "$FIXTURES/$family/README.md" "$OUT/fixtures/$family/" 2>/dev/null || true
  tar -C "$FIXTURES/$family" -cf - "$name.json" "$name.pth" "$name.io.pth" | xz -6 -T2 >"$OUT/fixtures/$family/$name.tar.xz"
  if [ "$(used_kib)" -gt "$budget_kib" ]; then
    rm "$OUT/fixtures/$family/$name.tar.xz"
    left_out="$left_out $family/$name"
  fi
done

{
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') with torch ${TORCH_VERSION:-?} ($TORCH_LIB)"
  echo "$runtime_listing (runtime.tar.xz)"
  echo "stubs: $(for s in "${stubbed[@]}"; do basename "$s"; done | tr '\n' ' ')"
  echo "fixtures: $(cd "$OUT/fixtures" && ls */*.tar.xz 2>/dev/null | sed 's/\.tar\.xz$//' | tr '\n' ' ')"
  echo "fixtures_left_out:${left_out:- none}"
  echo "original: $([ -f "$OUT/original/focal_transformer.py" ] && echo yes || echo 'no (the Python baseline of the original will be skipped)')"
} >"$OUT/MANIFEST"
total_kib="$(used_kib)"
echo "size_mib: $(awk "BEGIN {printf \"%.1f\", $total_kib / 1024}")" >>"$OUT/MANIFEST"
cat "$OUT/MANIFEST"
if [ "$total_kib" -gt $((MAX_MIB * 1024)) ]; then
  echo "device_bundle.sh: $OUT is $((total_kib / 1024)) MiB, over the $MAX_MIB MiB limit" >&2
  exit 1
fi
