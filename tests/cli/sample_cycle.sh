#!/usr/bin/env bash
# The sample site end to end: ingest quarantines 2 bad records, score 3 more, 70 insights; export, sha256 sidecar, verify and status agree.
source "$(dirname "$0")/lib.sh"

csv="$SAMPLE/inbox/lab-north-2026-11-20.csv"
ndjson="$SAMPLE/inbox/lab-south-2026-11-21.ndjson"

# init, pack, import --activate, ingest (exit 3: the ragged CSV row and the broken JSON line).
sample_site
assert_contains "$OUT" "$csv: ingested (41 items, 1 quarantined)"
assert_contains "$OUT" "$ndjson: ingested (32 items, 1 quarantined)"
assert_contains "$OUT" "ingested 73 items, quarantined 2 records"
assert_eq "$(sql 'SELECT count(*) FROM items')" 73 "items"
assert_eq "$(sql "SELECT source || '|' || line || '|' || reason FROM quarantine WHERE stage = 'ingest' ORDER BY id")" \
    "$csv|19|expected 18 fields, found 8
$ndjson|17|invalid JSON at byte 172" "ingest quarantine (file, line, reason)"
assert_contains "$(sql "SELECT raw FROM quarantine WHERE stage = 'ingest' AND line = 19")" "N-0018," "quarantined raw CSV row"

# score: 70 insights, one per valid record; the n/a, missing and null features are quarantined (exit 3).
expect_exit 3 "$EDGECTL" score
anomalies=$(sql 'SELECT count(*) FROM insights WHERE anomaly = 1')
[ "$anomalies" -ge 1 ] && [ "$anomalies" -le 69 ] || fail "anomalies: expected 1..69, got $anomalies"
assert_eq "$OUT" "wine-cultivar@1.0.0: scored 70 items, $anomalies anomalies, 3 quarantined" "score summary"
assert_eq "$(sql 'SELECT count(*) FROM insights')" 70 "insights"
assert_eq "$(sql 'SELECT count(DISTINCT item_id) FROM insights')" 70 "items with an insight"
assert_eq "$(sql "SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM insights)
                  AND id NOT IN (SELECT item_id FROM quarantine WHERE stage = 'score')")" 0 "items neither scored nor quarantined"
assert_eq "$(sql "SELECT source || '|' || line || '|' || reason FROM quarantine WHERE stage = 'score' ORDER BY source, line")" \
    "$csv|30|field 'magnesium' is not a number: 'n/a'
$ndjson|8|missing field 'flavanoids'
$ndjson|26|field 'proline' is null, not a number" "score quarantine (file, line, reason)"
assert_eq "$(sql "SELECT DISTINCT model || '@' || model_version FROM quarantine WHERE stage = 'score'")" "wine-cultivar@1.0.0"

# export: <site>-000001.tar.zst and its sha256sum sidecar.
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
assert_contains "$OUT" "wrote $WORK/disk/test-site-000001.tar.zst (70 insights, $anomalies anomalies, "
assert_eq "$(cd "$WORK/disk" && ls)" "test-site-000001.tar.zst
test-site-000001.tar.zst.minisig
test-site-000001.tar.zst.sha256" "files on the export target"
# The site's signature verifies with the minisign tool and the key 'edgectl site-key' prints.
expect_exit 0 "$EDGECTL" site-key
printf '%s\n' "$OUT" > "$WORK/site.pub"
expect_exit 0 minisign -V -p "$WORK/site.pub" -m "$WORK/disk/test-site-000001.tar.zst"
assert_contains "$ERR$OUT" "Trusted comment: edgectl export test-site-000001"
(cd "$WORK/disk" && sha256sum --quiet -c test-site-000001.tar.zst.sha256) || fail "sha256sum -c of the sidecar failed"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq = 1')" 70 "insights marked exported"

expect_exit 0 "$EDGECTL" verify "$WORK/disk/test-site-000001.tar.zst"
assert_eq "$OUT" "$WORK/disk/test-site-000001.tar.zst: OK (export-bag)"

# status, as text and as one JSON document.
expect_exit 0 "$EDGECTL" status
assert_contains "$OUT" "items:       73 (2 records quarantined at ingest)"
assert_contains "$OUT" "insights:    70 ($anomalies anomalies), 0 waiting for export"
assert_contains "$OUT" "model wine-cultivar@1.0.0: 70 scored, 0 not yet scored, 3 quarantined, $anomalies anomalies"
expect_exit 0 "$EDGECTL" status --json
json_ok "$OUT"
assert_eq "$(json_get "$OUT" "(d['site'], d['items'], d['quarantined'], d['insights'], d['anomalies'], d['waiting_for_export'], d['exports'], d['last_export'])")" \
    "('test-site', 73, 2, 70, $anomalies, 0, 1, 'test-site-000001')" "status --json counts"
assert_eq "$(json_get "$OUT" "[(m['model'], m['version'], m['scored'], m['not_scored'], m['quarantined']) for m in d['active_models']]")" \
    "[('wine-cultivar', '1.0.0', 70, 0, 3)]" "status --json active models"
