#!/usr/bin/env bash
# Shadow scoring: a candidate version answers every item the active version scores, in the same
# run, its answers kept apart (no insights, no anomalies); 'models compare' reports agreement, the
# label confusion, score differences and anomaly rates; 'models activate --min-agreement' promotes
# it only above the agreement asked, atomically; a version that cannot take the same input is
# refused; the answers are exported in data/shadow.ndjson with their lineage, and purged with the
# rest once acknowledged.
source "$(dirname "$0")/lib.sh"
new_store
# 1.1.0: the same network, a stricter anomaly rule (it agrees on every label). 1.2.0: the first two
# labels swapped (it disagrees wherever 1.0.0 says cultivar_1 or cultivar_2). 2.0.0: a renamed
# input field (not the same input). 1.3.0: the same as 1.1.0, never shadowed.
sample_variant 1.0.0 "$WORK/m-1.0.0.tar.zst"
sample_variant 1.1.0 "$WORK/m-1.1.0.tar.zst" 'spec["anomaly"][0]["threshold"] = 0.95'
sample_variant 1.2.0 "$WORK/m-1.2.0.tar.zst" 'l = spec["output"]["labels"]; l[0], l[1] = l[1], l[0]'
sample_variant 2.0.0 "$WORK/m-2.0.0.tar.zst" 'f = spec["input"]["fields"]; f[0] = "alcohol_pct"
spec.pop("reference")
for g in golden: g["input"]["alcohol_pct"] = g["input"].pop("alcohol")'
sample_variant 1.3.0 "$WORK/m-1.3.0.tar.zst" 'spec["anomaly"][0]["threshold"] = 0.95'

# Nothing to shadow before a version is active.
expect_exit 0 "$EDGECTL" import-model "$WORK/m-1.1.0.tar.zst"
expect_exit 1 "$EDGECTL" models shadow wine-cultivar@1.1.0
assert_contains "$ERR" "has no active version for 1.1.0 to score beside"
for v in 1.0.0 1.2.0 2.0.0 1.3.0; do expect_exit 0 "$EDGECTL" import-model "$WORK/m-$v.tar.zst"; done
expect_exit 0 "$EDGECTL" models activate wine-cultivar@1.0.0
expect_exit 1 "$EDGECTL" models shadow wine-cultivar@1.0.0
assert_contains "$ERR" "is the active version"
expect_exit 1 "$EDGECTL" models shadow wine-cultivar@9.9.9
assert_contains "$ERR" "is not installed"
expect_exit 1 "$EDGECTL" models shadow wine-cultivar@2.0.0
assert_contains "$ERR" "cannot shadow wine-cultivar@1.0.0: its input fields are not the active version's"
expect_exit 1 "$EDGECTL" models compare wine-cultivar
assert_contains "$ERR" "has no shadow"

expect_exit 0 "$EDGECTL" models shadow wine-cultivar@1.1.0
assert_contains "$OUT" "wine-cultivar@1.1.0 now scores beside wine-cultivar@1.0.0"
expect_exit 0 "$EDGECTL" models list
assert_contains "$OUT" "  wine-cultivar@1.1.0  imported"
assert_contains "$OUT" "shadow"
assert_eq "$(grep -c shadow <<<"$OUT")" 1 "versions listed as the shadow"
expect_exit 0 "$EDGECTL" --json models list
assert_eq "$(json_get "$OUT" "[m['version'] for m in d if m['shadow']]")" "['1.1.0']" "shadow in the JSON list"
expect_exit 0 "$EDGECTL" models compare wine-cultivar
assert_contains "$OUT" "no answers yet"
expect_exit 1 "$EDGECTL" models activate wine-cultivar@1.1.0 --min-agreement 0.5
assert_contains "$ERR" "has no answers beside wine-cultivar@1.0.0 yet"

# One run: 1.0.0's insights, 1.1.0's answers for the same 70 items, no insight or anomaly of 1.1.0.
expect_exit 3 "$EDGECTL" ingest "$SAMPLE/inbox"
expect_exit 3 "$EDGECTL" score
assert_contains "$OUT" "wine-cultivar@1.0.0: scored 70 items"
assert_contains "$OUT" "shadow 1.1.0 answered 70 of 70"
assert_eq "$(sql "SELECT count(*) FROM insights WHERE model_version = '1.1.0'")" 0 "insights of the shadow"
assert_eq "$(sql "SELECT count(*), count(DISTINCT item_id), sum(error IS NOT NULL) FROM shadow_insights")" "70|70|0" "shadow answers"
assert_eq "$(sql "SELECT count(*) FROM shadow_insights s JOIN insights i ON i.item_id = s.item_id
    WHERE i.label = s.label AND abs(i.score - s.score) < 1e-12")" 70 "the shadow's answers from the same input"
assert_eq "$(sql "SELECT count(*) FROM score_progress WHERE model_version = '1.1.0'")" 0 "a cursor of the shadow's own"
active_anomalies=$(sql "SELECT sum(anomaly) FROM insights")
shadow_anomalies=$(sql "SELECT sum(anomaly) FROM shadow_insights")
[ "$shadow_anomalies" -gt "$active_anomalies" ] || fail "a stricter rule flags more: $shadow_anomalies vs $active_anomalies"
expect_exit 0 "$EDGECTL" score  # nothing new: the shadow answers nothing twice
assert_eq "$(sql "SELECT count(*) FROM shadow_insights")" 70 "shadow answers after a second run"

expect_exit 0 "$EDGECTL" status
assert_contains "$OUT" "shadow wine-cultivar@1.1.0: 70 answers beside 1.0.0 (see 'edgectl models compare wine-cultivar')"
expect_exit 0 "$EDGECTL" --json status
assert_eq "$(json_get "$OUT" "sorted(d['active_models'][0]['shadow'].items())")" "[('answers', 70), ('version', '1.1.0')]" "shadow in status"
expect_exit 0 "$EDGECTL" models compare wine-cultivar
assert_contains "$OUT" "wine-cultivar@1.1.0 (shadow) beside wine-cultivar@1.0.0 (active), its last 70 items"
assert_contains "$OUT" "agreement 1.000 (70 of 70, same label)"
assert_contains "$OUT" "score difference (shadow - active): min 0.000 p05 0.000 p50 0.000 p95 0.000 max 0.000"
expect_exit 0 "$EDGECTL" --json models compare wine-cultivar --window 10
assert_eq "$(json_get "$OUT" "(d['items'], d['agreement'], d['window'])")" "(10, 1.0, 10)" "a window of the latest 10"
expect_exit 0 "$EDGECTL" --json models compare wine-cultivar
assert_eq "$(json_get "$OUT" "round(d['anomaly_rate']['shadow'], 6)")" \
    "$(python3 -c "print(round($shadow_anomalies / 70, 6))")" "the shadow's anomaly rate"
assert_eq "$(json_get "$OUT" "sum(n for row in d['confusion'].values() for n in row.values())")" 70 "confusion total"

# A shadow that disagrees: 1.2.0 replaces 1.1.0, and answers from the next items on.
expect_exit 0 "$EDGECTL" models shadow wine-cultivar@1.2.0
expect_exit 0 "$EDGECTL" ingest "$SAMPLE/inbox-shifted"
expect_exit 0 "$EDGECTL" score
assert_contains "$OUT" "shadow 1.2.0 answered 200 of 200"
expect_exit 0 "$EDGECTL" --json models compare wine-cultivar
python3 - "$OUT" "$(sql "SELECT label, count(*) FROM insights WHERE item_id IN (SELECT item_id FROM shadow_insights
    WHERE model_version = '1.2.0') GROUP BY 1 ORDER BY 1")" <<'PY' || fail "comparison of 1.2.0: $OUT"
import json, sys
d = json.loads(sys.argv[1])
active = {label: int(n) for label, n in (line.split("|") for line in sys.argv[2].splitlines())}
swap = {"cultivar_1": "cultivar_2", "cultivar_2": "cultivar_1", "cultivar_3": "cultivar_3"}
assert d["shadow"] == "1.2.0" and d["items"] == 200, d
assert d["confusion"] == {a: {swap[a]: n} for a, n in active.items()}, (d["confusion"], active)
assert d["agreeing"] == active.get("cultivar_3", 0), d
assert abs(d["agreement"] - d["agreeing"] / 200) < 1e-12
PY
agreement=$(json_get "$OUT" "d['agreement']")
expect_exit 1 "$EDGECTL" models activate wine-cultivar@1.2.0 --min-agreement 0.9
assert_contains "$ERR" "is not activated: it agrees with wine-cultivar@1.0.0 on"
assert_eq "$(sql "SELECT version FROM active_models")|$(sql "SELECT version FROM shadow_models")" "1.0.0|1.2.0" \
    "versions after a refused promotion"
# Only the shadow can be promoted on agreement; the earlier shadow's answers are still there to compare.
expect_exit 1 "$EDGECTL" models activate wine-cultivar@1.3.0 --min-agreement 0.5
assert_contains "$ERR" "is not the shadow of 'wine-cultivar'"
expect_exit 0 "$EDGECTL" models compare wine-cultivar@1.1.0
assert_contains "$OUT" "agreement 1.000 (70 of 70"
expect_exit 2 "$EDGECTL" models activate wine-cultivar@1.2.0 --min-agreement 1.5

# Promotion above the agreement asked: one transaction makes it active and ends the shadow.
expect_exit 0 "$EDGECTL" --json models activate wine-cultivar@1.2.0 --min-agreement "$agreement"
assert_eq "$(json_get "$OUT" "(d['version'], d['active'], d['comparison']['items'])")" "('1.2.0', True, 200)" "promotion"
assert_eq "$(sql "SELECT version, previous_version FROM active_models")|$(sql "SELECT count(*) FROM shadow_models")" \
    "1.2.0|1.0.0|0" "versions after the promotion"
expect_exit 0 "$EDGECTL" models rollback wine-cultivar
expect_exit 0 "$EDGECTL" models shadow wine-cultivar@1.1.0
expect_exit 0 "$EDGECTL" models unshadow wine-cultivar
assert_eq "$OUT" "wine-cultivar@1.1.0 no longer scores as a shadow"
expect_exit 0 "$EDGECTL" models unshadow wine-cultivar
assert_eq "$OUT" "wine-cultivar has no shadow"
# A removed shadow stops being one.
expect_exit 0 "$EDGECTL" models shadow wine-cultivar@1.3.0
expect_exit 0 "$EDGECTL" models remove wine-cultivar@1.3.0
assert_eq "$(sql "SELECT count(*) FROM shadow_models")" 0 "shadow rows after its removal"

# Kept for the volumes and purge below, before anything is exported.
cp -a "$STORE" "$WORK/kept"

# The answers go out once, in data/shadow.ndjson (included by default), with the shadows' lineage.
mkdir "$WORK/out"
expect_exit 0 "$EDGECTL" export --to "$WORK/out"
archive="$WORK/out/test-site-000001.tar.zst"
expect_exit 0 "$EDGECTL" verify --key <("$EDGECTL" site-key) "$archive"
tar --zstd -xOf "$archive" test-site-000001/data/shadow.ndjson >"$WORK/shadow.ndjson"
assert_eq "$(lines "$WORK/shadow.ndjson")" 270 "shadow answers exported"
python3 - "$WORK/shadow.ndjson" "$EDGECTL_SOURCE/schemas/export-shadow.schema.json" <<'PY' || fail "shadow.ndjson"
import json, sys
schema = json.load(open(sys.argv[2]))
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert set(r) == set(schema["required"]), set(r) ^ set(schema["required"])
    assert r["active_version"] == "1.0.0" and r["model_version"] in ("1.1.0", "1.2.0"), r
    assert r["error"] is None and isinstance(r["anomaly"], bool) and len(r["probabilities"]) == 3, r
PY
tar --zstd -xOf "$archive" test-site-000001/data/models.ndjson >"$WORK/models.ndjson"
assert_eq "$(python3 -c 'import json,sys; print(sorted(json.loads(l)["model_version"] for l in open(sys.argv[1])))' \
    "$WORK/models.ndjson")" "['1.0.0', '1.1.0', '1.2.0']" "lineage of the insights and the shadows' answers"
summary=$(tar --zstd -xOf "$archive" test-site-000001/data/summary.ndjson)
assert_not_contains "$summary" '"1.1.0"' "the shadow counted in the summary"
assert_eq "$(sql "SELECT count(*) FROM shadow_insights WHERE export_seq = 1")" 270 "shadow answers marked"
expect_exit 0 "$EDGECTL" export --to "$WORK/out"
assert_contains "$OUT" "nothing to export"

# Purge takes the answers with the insights (here unacknowledged, so --force), then their items.
expect_exit 0 "$EDGECTL" purge --older-than 0 --force
assert_contains "$OUT" "270 shadow answers"
assert_eq "$(sql "SELECT count(*) FROM shadow_insights")|$(sql "SELECT count(*) FROM items")" "0|0" \
    "rows left after the purge"

# The store keeps up to 64 answers to a row, exported whole: in the smallest volumes every answer
# goes out once, each volume with whole rows.
STORE="$WORK/kept" EDGECTL_STORE="$WORK/kept"
rows=$(sql "SELECT count(*) FROM shadow_answers")
[ "$rows" -gt 1 ] && [ "$rows" -lt 270 ] || fail "270 answers in $rows rows"
mkdir "$WORK/small"
expect_exit 0 "$EDGECTL" export --to "$WORK/small" --max-bytes 64K --include shadow
volumes=("$WORK"/small/test-site-*.tar.zst)
[ ${#volumes[@]} -gt 1 ] || fail "the answers fitted in ${#volumes[@]} volume of 64K"
for v in "${volumes[@]}"; do
    b=$(basename "$v" .tar.zst)
    expect_exit 0 "$EDGECTL" verify --key <("$EDGECTL" site-key) "$v"
    tar --zstd -xOf "$v" "$b/data/shadow.ndjson" >"$WORK/$b.ndjson"
    # Its answers are the stored rows whose first id it holds, each whole.
    assert_eq "$(python3 -c 'import json, sys; print(len({json.loads(l)["shadow_id"] for l in open(sys.argv[1])}))' \
        "$WORK/$b.ndjson")" "$(sql "SELECT sum(answers) FROM shadow_answers WHERE export_seq = ${b##*-} + 0")" \
        "answers in $b"
done
assert_eq "$(cat "$WORK"/test-site-*.ndjson | python3 -c 'import json, sys
print(len({json.loads(l)["shadow_id"] for l in sys.stdin}))')" 270 "answers in all the volumes"
assert_eq "$(sql "SELECT count(*) FROM shadow_answers WHERE export_seq IS NULL")" 0 "rows left unexported"

# Insights acknowledged and purged while the shadow's answers are not: every item a row of answers
# spans stays, and the answers still export with their items' sources.
STORE="$WORK/kept2" EDGECTL_STORE="$WORK/kept2"
cp -a "$WORK/kept" "$STORE"
sqlite3 "$STORE/edgectl.db" "UPDATE shadow_answers SET export_seq = NULL; DELETE FROM exports"
mkdir "$WORK/no-shadow"
expect_exit 0 "$EDGECTL" export --to "$WORK/no-shadow" --include anomalies,insights,items
expect_exit 0 "$EDGECTL" ack 1
expect_exit 0 "$EDGECTL" purge --older-than 0
assert_eq "$(sql "SELECT count(*) FROM insights")" 0 "insights left after the purge"
assert_eq "$(sql "SELECT count(*) FROM items i WHERE EXISTS (SELECT 1 FROM shadow_answers s
    WHERE i.id BETWEEN s.first_item_id AND s.last_item_id)")" "$(sql "SELECT count(*) FROM items")" \
    "items kept are those the answers span"
assert_eq "$(sql "SELECT count(DISTINCT item_id) FROM shadow_insights WHERE item_id NOT IN (SELECT id FROM items)")" 0 \
    "answers whose item was purged"
mkdir "$WORK/shadow-later"
expect_exit 0 "$EDGECTL" export --to "$WORK/shadow-later" --include shadow
tar --zstd -xOf "$WORK/shadow-later/test-site-000002.tar.zst" test-site-000002/data/shadow.ndjson >"$WORK/later.ndjson"
assert_eq "$(lines "$WORK/later.ndjson")" 270 "answers exported after their items' insights were purged"
