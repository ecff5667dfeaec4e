#!/usr/bin/env bash
# The global options (--json, --store, -q) work after the subcommand too, as in 'edgectl status --json' and 'edgectl models list --json'.
source "$(dirname "$0")/lib.sh"

new_store
signed_sample_package "$WORK/model.tar.zst"
expect_exit 0 "$EDGECTL" import-model "$WORK/model.tar.zst" --activate

# Before the subcommand (the reference) ...
expect_exit 0 "$EDGECTL" --json status
json_ok "$OUT"
reference=$(json_get "$OUT" "(d['site'], d['items'], [m['model'] for m in d['active_models']])")
assert_eq "$reference" "('test-site', 0, ['wine-cultivar'])" "--json status"

# ... and after it.
expect_exit 0 "$EDGECTL" status --json
json_ok "$OUT"
assert_eq "$(json_get "$OUT" "(d['site'], d['items'], [m['model'] for m in d['active_models']])")" "$reference" "status --json"

expect_exit 0 "$EDGECTL" models list --json
json_ok "$OUT"
assert_eq "$(json_get "$OUT" "[(m['name'], m['version'], m['active']) for m in d]")" "[('wine-cultivar', '1.0.0', True)]" \
    "models list --json"

EDGECTL_STORE="$WORK/elsewhere" expect_exit 0 "$EDGECTL" status --store "$STORE"
assert_contains "$OUT" "site test-site (store $STORE," "status --store DIR"

feature_csv "$WORK/in.csv" 3
expect_exit 0 "$EDGECTL" ingest -q "$WORK/in.csv"
assert_eq "$OUT" "" "ingest -q prints nothing"
assert_eq "$(sql 'SELECT count(*) FROM items')" 3 "items ingested by 'ingest -q'"
