#!/usr/bin/env bash
# Runs clang-tidy with the checks .clang-tidy names on every source of core/ and tools/ (LibTorch's
# module aside: its headers alone take a minute), two at a time. Any finding fails. Needs a build
# directory with compile_commands.json (default build/). The test command runs it as ctest 'tidy'.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
command -v clang-tidy >/dev/null || { echo "clang-tidy is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json: configure the build first" >&2; exit 1; }
status=0
out=$(find core tools -name '*.cpp' ! -name torch_model.cpp -print0 | sort -z |
    xargs -0 -P2 -n4 clang-tidy -p "$build" --quiet 2>&1) || status=$?
printf '%s\n' "$out" | grep -v -E '^[0-9]+ warnings? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^$' || true
exit "$status"
