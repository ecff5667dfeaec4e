#!/usr/bin/env bash
# Checks that every C++ source is formatted as .clang-format says (clang-format --dry-run), or with
# --fix formats them in place. The test command runs the check as the ctest 'format'.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
mapfile -t files < <(find core tools tests scripts -name '*.cpp' -o -name '*.hpp' | sort)
if [ "${1:-}" = --fix ]; then
    clang-format -i "${files[@]}"
else
    clang-format --dry-run --Werror "${files[@]}"
fi
