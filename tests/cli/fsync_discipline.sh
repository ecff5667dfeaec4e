#!/usr/bin/env bash
# The fsync discipline, which process kills cannot see and a power cut would: over the traces of
# every writing command (and of the recoveries after kills), fsync_check.py finds every rename
# preceded by the fsync of what it publishes, every directory changed by a rename, unlink or mkdir
# fsynced before the next commit and before the command ends, and both directories of a move synced.
# The checker's self-test first shows it refuses traces that break each rule.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_traces.sh"

"$PYTHON" "$EDGECTL_SOURCE/tests/cli/fsync_check.py" --self-test || fail "fsync_check.py's self-test"
trace_every_command
histories=0 points=0 problems=""
for h in "$TRACES"/*/; do
    histories=$((histories + 1))
    points=$((points + $(cat "$h"*.trace | grep -vc '^#' || true)))
    mapfile -t files < <(printf '%s\n' "$h"*.trace | sort -V)
    if ! why=$("$PYTHON" "$EDGECTL_SOURCE/tests/cli/fsync_check.py" "${files[@]}" 2>&1); then
        problems+="$(basename "$h"): $why"$'\n'
    fi
done
echo "checked $histories histories, $points points, $(trace_names | wc -l) distinct points"
[ -z "$problems" ] || fail "fsync discipline broken:
$problems"
echo ok
