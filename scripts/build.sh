#!/usr/bin/env bash
# Configures and builds edgectl into build/ (binary: build/edgectl). Extra arguments go to CMake's
# configure step, e.g. -DEDGECTL_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja "$@" >/dev/null
cmake --build build
