#!/usr/bin/env bash
# Each export ships only rows not shipped before, chains to the previous bag's tag manifest, and a third run with nothing new writes nothing.
source "$(dirname "$0")/lib.sh"

disk="$WORK/disk"
mkdir "$disk"
sample_site
expect_exit 3 "$EDGECTL" score

# First export: the 70 sample insights.
expect_exit 0 "$EDGECTL" export --to "$disk"
assert_contains "$OUT" "wrote $disk/test-site-000001.tar.zst (70 insights, "
unpack "$disk/test-site-000001.tar.zst" "$WORK/one"
bag1="$WORK/one/test-site-000001"
assert_eq "$(lines "$bag1/data/insights.ndjson")" 70 "rows in the first export"
grep -qx 'Edgectl-Previous-Tagmanifest-SHA256: none' "$bag1/bag-info.txt" || fail "first bag must have no predecessor"

# More data arrives and is scored: the second export holds only the 25 new rows.
feature_csv "$WORK/more.csv" 25
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 0 "$EDGECTL" score
expect_exit 0 "$EDGECTL" export --to "$disk"
assert_contains "$OUT" "wrote $disk/test-site-000002.tar.zst (25 insights, "
unpack "$disk/test-site-000002.tar.zst" "$WORK/two"
bag2="$WORK/two/test-site-000002"
assert_eq "$(lines "$bag2/data/insights.ndjson")" 25 "rows in the second export"
insight_ids "$bag1/data/insights.ndjson" | sort >"$WORK/ids1"
insight_ids "$bag2/data/insights.ndjson" | sort >"$WORK/ids2"
assert_eq "$(sort -u "$WORK/ids1" | wc -l)" 70 "distinct ids in the first export"
assert_eq "$(sort -u "$WORK/ids2" | wc -l)" 25 "distinct ids in the second export"
assert_eq "$(comm -12 "$WORK/ids1" "$WORK/ids2")" "" "insight ids shipped twice"
assert_eq "$(cat "$WORK/ids1" "$WORK/ids2" | sort -n | tr '\n' ' ')" "$(sql 'SELECT id FROM insights ORDER BY id' | tr '\n' ' ')" \
    "the two exports together hold every insight"
assert_eq "$(sql 'SELECT export_seq, count(*) FROM insights GROUP BY export_seq ORDER BY export_seq')" "1|70
2|25" "rows marked per export"

# The second bag names the digest of the first bag's tag manifest.
want=$(sha256sum "$bag1/tagmanifest-sha256.txt" | cut -d' ' -f1)
assert_eq "$(sed -n 's/^Edgectl-Previous-Tagmanifest-SHA256: //p' "$bag2/bag-info.txt")" "$want" \
    "Edgectl-Previous-Tagmanifest-SHA256 of the second bag"
assert_eq "$(sed -n 's/^Edgectl-Export-Sequence: //p' "$bag2/bag-info.txt")" 2 "export sequence in bag-info.txt"

# Nothing new: says so, writes nothing, records nothing.
before=$(ls -A "$disk")
expect_exit 0 "$EDGECTL" export --to "$disk"
assert_eq "$OUT" "nothing to export"
assert_eq "$(ls -A "$disk")" "$before" "files on the target after an empty export"
assert_eq "$(sql "SELECT group_concat(seq || ':' || state || ':' || rows, ' ') FROM exports")" "1:complete:70 2:complete:25" \
    "export ledger"
