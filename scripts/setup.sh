#!/usr/bin/env bash
# Installs the Debian packages edgectl needs to build, test and run, non-interactively, skipping
# those already present. Safe to run again. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config clang-format clang-tidy
  libtorch-dev libopenblas0-pthread   # LibTorch; OpenBLAS instead of the ~6x slower reference BLAS
  libcli11-dev catch2 libsqlite3-dev libzstd-dev libarchive-dev libssl-dev libsodium-dev
  libre2-dev                          # a PII policy's own patterns, in linear time
  libturbojpeg0-dev libspng-dev       # camera frames: JPEG (libjpeg-turbo) and PNG decoding
  libopencv-imgproc-dev               # camera frames: resizing (OpenCV, which LibTorch brings already)
  nlohmann-json3-dev libvalijson-dev libsimdjson-dev
  sqlite3 zstd minisign python3 time  # used by the tests and the demo
  python3-torch python3-sklearn       # the loop demo retrains the sample model (retrain-sample-model.py)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The export test loads exports into DuckDB through its npm package: node and npm, from Debian
# unless the machine has them already.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
