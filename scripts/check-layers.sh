#!/usr/bin/env bash
# Checks that no domain of core/ reaches sideways into another (docs/architecture.md, "Layers"):
# a file in core/<folder>/ may include headers of its own folder, of util/ (the foundation), and of
# the folders its row below names, which follow the data flow. The rows are today's dependencies,
# made a rule: a new one is a design decision, taken here and in the docs, not in passing. Also:
# torch headers only in model/torch_model.cpp, and model/torch_module.hpp (the module's ABI) only
# inside model/. Run by ctest as 'layers'; with a directory argument, checks that tree instead.
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
cd "$root"

declare -A allowed=(
    [util]=""
    [store]=""
    [model]="image"
    [image]=""
    [ingest]="store image"
    [package]="store model"
    [score]="store model package"
    [export]="store"
    [status]="store package"
    [verify]="store model package export"
    [hub]="store package export"
    [run]="store ingest score model package image"
)

problems=0
complain() {
    echo "$1" >&2
    problems=$((problems + 1))
}

while IFS= read -r file; do
    folder="${file#core/}"
    folder="${folder%%/*}"
    if [ -z "${allowed[$folder]+set}" ]; then
        complain "$file: core/$folder/ has no row in scripts/check-layers.sh: say what it may include"
        continue
    fi
    while IFS=: read -r line text; do
        header="$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]+)[">].*/\1/' <<<"$text")"
        case "$header" in
        torch/* | ATen/* | c10/*)
            [ "$file" = core/model/torch_model.cpp ] ||
                complain "$file:$line: includes <$header>: only core/model/torch_model.cpp includes LibTorch"
            continue
            ;;
        model/torch_module.hpp)
            [ "$folder" = model ] ||
                complain "$file:$line: includes model/torch_module.hpp, the LibTorch module's ABI, private to model/"
            continue
            ;;
        esac
        dep="${header%%/*}"
        [ "$dep" = "$header" ] && continue  # a system or library header
        [ -n "${allowed[$dep]+set}" ] || continue  # not a folder of core/ (e.g. <nlohmann/json.hpp>)
        [ "$dep" = "$folder" ] || [ "$dep" = util ] && continue
        case " ${allowed[$folder]} " in
        *" $dep "*) ;;
        *) complain "$file:$line: $folder/ may not include $header (it may include util/${allowed[$folder]:+, ${allowed[$folder]// /\/, }/})" ;;
        esac
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$file" || true)
done < <(find core -mindepth 2 \( -name '*.cpp' -o -name '*.hpp' \) | sort)

if [ "$problems" -gt 0 ]; then
    echo "check-layers: $problems include(s) break the layering (docs/architecture.md, \"Layers\")" >&2
    exit 1
fi
echo "check-layers: every include of core/ follows the layering"
