#!/usr/bin/env bash
# Every command but init, pointed at a store that does not exist, fails (exit 1) naming the path and 'edgectl init', creating nothing.
source "$(dirname "$0")/lib.sh"

missing="$WORK/no-such-store"
mkdir "$WORK/target"
printf 'a,b\n1,2\n' >"$WORK/in.csv"
: >"$WORK/pkg.tar.zst"
want="edgectl: error: no edgectl store at '$missing': create one with 'edgectl init --site ID' (or point --store / EDGECTL_STORE at it)"

check() {
    expect_exit 1 "$@"
    assert_eq "$ERR" "$want" "stderr of: ${*:2}"
    assert_eq "$OUT" "" "stdout of: ${*:2}"
    [ ! -e "$missing" ] || fail "'${*:2}' created '$missing'"
}

# Through --store ...
check "$EDGECTL" --store "$missing" status
check "$EDGECTL" --store "$missing" ingest "$WORK/in.csv"
check "$EDGECTL" --store "$missing" score
check "$EDGECTL" --store "$missing" export --to "$WORK/target"
check "$EDGECTL" --store "$missing" import-model "$WORK/pkg.tar.zst"
check "$EDGECTL" --store "$missing" models list
# ... and through $EDGECTL_STORE.
EDGECTL_STORE="$missing" check "$EDGECTL" status
EDGECTL_STORE="$missing" check "$EDGECTL" models list
[ -z "$(ls -A "$WORK/target")" ] || fail "export against a missing store wrote to its target"
