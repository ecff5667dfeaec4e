#!/usr/bin/env bash
# The hub lands each export exactly once and never guesses: archives arriving out of order land and
# the gap is reported until it is filled; the same archive twice, or the same bag resent, is a
# no-op; another bag under a landed sequence (a fork, validly signed) is refused and never landed,
# and so is a bag whose link contradicts what landed; a multi-volume export is landed volume by
# volume and reported complete when all are in. The lake holds every exported row once.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
x() { mkdir -p "$WORK/$1" && expect_exit 0 "$EDGECTL" export --to "$WORK/$1" --include anomalies,insights,items; }
x disk1
cp -a "$STORE" "$WORK/fork"  # the site's store, key included: whatever it exports is validly signed
more() {
    feature_csv "$WORK/$1.csv" "$2" "$3"
    expect_exit 0 "$EDGECTL" ingest "$WORK/$1.csv"
    expect_exit 0 "$EDGECTL" score
}
more m2 50 1000 && x disk2
more m3 30 2000 && x disk3
more m4 20 3000 && x disk4
new_hub
hub_add_site "$STORE" test-site
receive() { expect_exit "$1" "$EDGECTL" --store "$HUB" receive "${@:2}"; }
receipt() { json_get "$(cat "$HUB/receipts/test-site.receipt")" "$1"; }

# Out of order: 3 lands first, and 1 and 2 are missing until they come.
receive 0 "$WORK/disk3"
assert_contains "$OUT" "landed test-site-000003: "
assert_contains "$ERR" "site 'test-site' is missing sequence(s) 1-2"
assert_eq "$(receipt "d['missing']")" "[{'first': 1, 'last': 2}]" "missing after 3"
minisign -Vqm "$HUB/receipts/test-site.receipt" -p "$HUB/hub.pub" || fail "minisign does not accept the receipt"
receive 0 "$WORK/disk1"
assert_contains "$ERR" "missing sequence(s) 2 "
receive 0 "$WORK/disk2" "$WORK/disk4"
assert_not_contains "$ERR" "missing"
assert_eq "$(receipt "[(r['first'], r['last'], len(r['tagmanifests'])) for r in d['landed']]")" "[(1, 4, 4)]" "landed"
assert_eq "$(receipt "d['missing']")" "[]" "missing when all landed"
assert_eq "$(hub_sql "SELECT group_concat(state) FROM archives")" "landed,landed,landed,landed" "ledger"
serial=$(receipt "d['serial']")

# Every exported row once in the lake, and each bag's tag manifest as the site recorded it.
assert_eq "$(lake_rows insights)" "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NOT NULL')" "insights in the lake"
assert_eq "$(lake_rows anomalies)" "$(sql 'SELECT count(*) FROM insights WHERE anomaly AND export_seq IS NOT NULL')" "anomalies"
assert_eq "$(lake_rows items test-site)" "$(sql 'SELECT count(*) FROM items WHERE export_seq IS NOT NULL')" "items"
assert_eq "$(hub_sql "SELECT group_concat(tagmanifest) FROM (SELECT tagmanifest FROM archives ORDER BY seq)")" \
    "$(sql "SELECT group_concat(tagmanifest_digest) FROM (SELECT tagmanifest_digest FROM exports ORDER BY seq)")" "tag manifests"
cmp "$HUB/evidence/test-site/test-site-000002.tar.zst" "$WORK/disk2/test-site-000002.tar.zst" || fail "evidence differs"
snapshot() { (cd "$HUB" && find lake evidence -type f | sort | xargs sha256sum; sqlite3 hub.db 'SELECT * FROM archives') ; }
before=$(snapshot)

# The same archives again: nothing changes, not even the receipt's serial.
receive 0 "$WORK/disk1" "$WORK/disk2" "$WORK/disk3" "$WORK/disk4"
assert_eq "$(grep -c '^skipped' <<<"$OUT")" 4 "duplicates skipped"
assert_contains "$OUT" "skipped test-site-000002: landed already"
assert_eq "$(snapshot)" "$before" "hub after duplicates"
assert_eq "$(receipt "d['serial']")" "$serial" "serial after duplicates"

# A resent archive is the same bag (other bytes: the tar's times), so it is a no-op too.
sleep 1.1
mkdir "$WORK/resent" "$WORK/vols"
expect_exit 0 "$EDGECTL" export --resend 2 --to "$WORK/resent"
cmp -s "$WORK/resent/test-site-000002.tar.zst" "$WORK/disk2/test-site-000002.tar.zst" && fail "resend was byte-identical"
receive 0 "$WORK/resent"
assert_contains "$OUT" "skipped test-site-000002: the same bag (resent) landed already"
assert_eq "$(snapshot)" "$before" "hub after a resend"

# A fork: the copied store exports other rows as sequences 2, 3 and 4, validly signed.
feature_csv "$WORK/f.csv" 40 5000
for d in f2 f3 f4; do
    EDGECTL_STORE="$WORK/fork" expect_exit 0 "$EDGECTL" ingest "$WORK/f.csv"
    EDGECTL_STORE="$WORK/fork" expect_exit 0 "$EDGECTL" score
    mkdir -p "$WORK/$d"
    EDGECTL_STORE="$WORK/fork" expect_exit 0 "$EDGECTL" export --to "$WORK/$d" --include anomalies,insights
    feature_csv "$WORK/f.csv" 40 "$((RANDOM + 6000))"
done
receive 4 "$WORK/f2"
assert_contains "$ERR" "refused $WORK/f2/test-site-000002.tar.zst: sequence 2 landed already with other content: a possible forgery or fork, never landed"
assert_eq "$(snapshot)" "$before" "hub after a fork"
assert_eq "$(receipt "d['refused'][0]['kind']")" fork "refusal in the receipt"
assert_eq "$(receipt "d['serial']")" "$((serial + 1))" "serial after a refusal"
receive 4 "$WORK/f2"  # the same refusal again is not a new one
assert_eq "$(receipt "d['serial']")" "$((serial + 1))" "serial after the same refusal"
assert_eq "$(hub_sql 'SELECT count(*) FROM refusals')" 1 "refusals recorded"

# The same checks within one run, whose archives land together: a second hub is given the real 1
# and 2, the fork's 2 and 3, and the real 2 again, in one run. The fork's 2 is refused against the
# real 2 landing beside it, the fork's 3 for its link, and the real 2 again is a no-op.
first_hub=$HUB HUB="$WORK/hub2"
new_hub
hub_add_site "$STORE" test-site
receive 4 "$WORK/disk1" "$WORK/disk2" "$WORK/f2" "$WORK/f3" "$WORK/disk2"
assert_contains "$OUT" "landed test-site-000002"
assert_contains "$OUT" "skipped test-site-000002: landed already, earlier in this run"
assert_contains "$ERR" "refused $WORK/f2/test-site-000002.tar.zst: sequence 2 landed already with other content"
assert_contains "$ERR" "refused $WORK/f3/test-site-000003.tar.zst: it links to "
assert_eq "$(hub_sql "SELECT group_concat(seq || state) FROM archives")" "1landed,2landed" "second hub's ledger"
assert_eq "$(ls -A "$HUB/staging")" "" "staging left behind by the second hub"
HUB=$first_hub

# A link that contradicts what landed: the hub drops 4 (as if never received), then the fork's 4,
# which links to the fork's 3, not to the 3 that landed, is refused; the real 4 lands again.
receive 4 "$WORK/f4"
assert_contains "$ERR" "refused $WORK/f4/test-site-000004.tar.zst: sequence 4 landed already with other content"
sqlite3 "$HUB/hub.db" "DELETE FROM archives WHERE seq = 4"
receive 4 "$WORK/f4"
assert_contains "$ERR" "it links to "
assert_contains "$ERR" ", but sequence 3 landed as "
receive 0 "$WORK/disk4"
assert_contains "$OUT" "landed test-site-000004"

# Volumes of one export land as they come; the group is complete when all are in.
more m5 12000 10000
expect_exit 0 "$EDGECTL" export --to "$WORK/vols" --max-bytes 64K --include anomalies,insights,items
n=$(ls "$WORK/vols"/*.tar.zst | wc -l)
[ "$n" -ge 3 ] || fail "expected at least 3 volumes, got $n"
mkdir "$WORK/first"
mv "$WORK/vols/test-site-000005.tar.zst"* "$WORK/first/"
receive 0 "$WORK/first"
assert_contains "$ERR" "export group test-site-000005 of site 'test-site': 1 of $n volumes landed"
assert_eq "$(receipt "d['incomplete_groups']")" "[{'group': 'test-site-000005', 'landed': [1], 'volumes': $n}]" "group in the receipt"
receive 0 "$WORK/vols"
assert_contains "$OUT" "export group test-site-000005 of site 'test-site' is complete"
assert_eq "$(grep -c "is complete" <<<"$OUT")" 1 "completions reported"
assert_eq "$(receipt "d['incomplete_groups']")" "[]" "groups once complete"
assert_eq "$(lake_rows insights)" "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NOT NULL')" "insights after volumes"
assert_eq "$(hub_sql 'PRAGMA integrity_check')" ok "integrity_check"
assert_eq "$(ls -A "$HUB/staging")" "" "staging left behind"
echo ok
