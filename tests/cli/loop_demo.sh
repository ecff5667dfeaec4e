#!/usr/bin/env bash
# scripts/loop-demo.sh closes the loop on two sites: the lake holds each site's insights of both
# model versions, whose digests are the cloud's packages'; its anomalies are the sites' own; every
# export is acknowledged by receipt and purged at the site. A DIR that is not a previous run is
# refused. EDGECTL set makes the script skip setup and build and run this binary.
source "$(dirname "$0")/lib.sh"
{ command -v node && command -v npm; } >/dev/null || fail "node and npm are needed (scripts/setup.sh installs them)"
loop="$WORK/loop"
mkdir -p "$loop" && touch "$loop/mine"
expect_exit 1 bash "$EDGECTL_SOURCE/scripts/loop-demo.sh" "$loop"
assert_contains "$ERR" "loop-demo: '$loop' is not empty and is not a previous loop demo; choose another DIR"
[ -e "$loop/mine" ] || fail "the refused DIR was touched"
rm -r "$loop"

expect_exit 0 bash "$EDGECTL_SOURCE/scripts/loop-demo.sh" "$loop"
for s in north south; do
    assert_contains "$OUT" "landed $s-000001: "
    assert_contains "$OUT" "landed $s-000002: "
    assert_contains "$OUT" "receipt 2 from hub 'cloud-hub' (key 'cloud'): acknowledged 2 export(s)"
done
assert_contains "$OUT" "imported wine-cultivar@1.1.0 (16 golden vectors reproduced)"
assert_contains "$OUT" "wine-cultivar@1.0.0: scored 20 items, "
assert_contains "$OUT" "; shadow 1.1.0 answered 20 of 20"
assert_contains "$OUT" "wine-cultivar@1.1.0 is now active"
assert_contains "$OUT" "every site's anomalies are in the lake, once"

# The lake read without DuckDB: per site and version, insights, anomalies and the model digest.
lake_by_version() {
    for f in "$loop"/hub/lake/insights/*/*/*.ndjson.zst; do zstd -dcq "$f"; done | python3 -c '
import collections, json, sys
seen = collections.defaultdict(lambda: [0, 0, set()])
for line in sys.stdin:
    r = json.loads(line)
    s = seen[(r["site"], r["model_version"])]
    s[0] += 1
    s[1] += r["anomaly"]
    s[2].add(r["model_digest"])
for (site, version), (n, anomalies, digests) in sorted(seen.items()):
    print(site, version, n, anomalies, *sorted(digests))'
}
package_digest() { tar --zstd -xOf "$loop/cloud/wine-cultivar-$1.tar.zst" SHA256SUMS | sha256sum | cut -d' ' -f1; }
v1=$(package_digest 1.0.0)
v2=$(package_digest 1.1.0)
# 1.0.0 scores round 2's records with 1.1.0 as its shadow; promoted, 1.1.0 scores round 1's records
# too, which the sites still kept: 40 + 20 and 30 + 20 records.
got=$(lake_by_version | awk '{print $1, $2, $3, $5}')
assert_eq "$got" "north 1.0.0 60 $v1
north 1.1.0 60 $v2
south 1.0.0 50 $v1
south 1.1.0 50 $v2" "the lake's insights per site and version, with their package's digest"
# The shadow's answers landed as their own kind: round 2's 20 records per site, beside 1.0.0.
got=$(for f in "$loop"/hub/lake/shadow/*/*/*.ndjson.zst; do zstd -dcq "$f"; done | python3 -c '
import collections, json, sys
seen = collections.Counter((r["site"], r["model_version"], r["active_version"]) for r in map(json.loads, sys.stdin))
for key, n in sorted(seen.items()):
    print(*key, n)')
assert_eq "$got" "north 1.1.0 1.0.0 20
south 1.1.0 1.0.0 20" "the lake's shadow answers per site"

# The lake's anomalies per site are what the script compared with the stores before the purge.
for s in north south; do
    flagged=$(lake_by_version | awk -v s="$s" '$1 == s {n += $4} END {print n}')
    [[ "$OUT" =~ \ $s\ +$flagged\ +$flagged\ +$flagged$'\n' ]] ||
        fail "no row '$s $flagged $flagged $flagged' in the anomaly check"
done

# Acknowledged and purged: no insight left, and only the items never exported.
for s in north south; do
    at() { sqlite3 -readonly "$loop/$s/edgectl.db" "$1"; }
    assert_eq "$(at 'SELECT count(*) FROM exports WHERE acked_at IS NULL')" 0 "$s: exports not acknowledged"
    assert_eq "$(at 'SELECT count(*) FROM insights')" 0 "$s: insights left after the purge"
    assert_eq "$(at 'SELECT count(*) FROM items WHERE export_seq IS NOT NULL')" 0 "$s: exported items left"
done
assert_contains "$OUT" "purged 120 insights, 60 items, 3 quarantine rows, 20 shadow answers"
assert_contains "$OUT" "purged 100 insights, 50 items, 5 quarantine rows, 20 shadow answers"
echo ok
