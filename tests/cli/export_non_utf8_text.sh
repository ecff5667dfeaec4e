#!/usr/bin/env bash
# Text that is not UTF-8 can reach the store where nothing parses it: a file's name as the file
# system has it, and the raw bytes of a record quarantined for them. It used to stop every export of
# the store for good; it goes out with U+FFFD for each byte that does not decode, and the archive
# verifies.
source "$(dirname "$0")/lib.sh"
sample_site
name=$(printf 'caf\xe9.csv')
head -3 "$SAMPLE/inbox/$(ls "$SAMPLE/inbox" | grep '\.csv$' | head -1)" > "$WORK/$name"
printf '%s\n' "$(head -1 "$WORK/$name")" > "$WORK/bad.csv"
printf 'S-9,\xff\xfe,1\n' >> "$WORK/bad.csv"
"$EDGECTL" ingest "$WORK/$name" "$WORK/bad.csv" >/dev/null 2>&1 || true
expect_exit 3 "$EDGECTL" score
[ "$(sql "SELECT count(*) FROM ingests WHERE name LIKE '%caf%'")" = 1 ] || fail "the file was not ingested"
[ "$(sql "SELECT count(*) FROM quarantine WHERE raw IS NOT NULL")" -ge 1 ] || fail "no quarantined raw text"
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights,items,quarantine,summary
archive=$(ls "$WORK"/disk/*.tar.zst)
expect_exit 0 "$EDGECTL" verify "$archive"
unpack "$archive" "$WORK/x"
# Every exported line is valid UTF-8 JSON, and the name arrived with its replacement character.
python3 - "$WORK/x" <<'PY' || fail "exported NDJSON is not valid UTF-8 JSON"
import json, pathlib, sys
for f in pathlib.Path(sys.argv[1]).rglob("*.ndjson"):
    for line in f.read_bytes().decode("utf-8").splitlines():
        json.loads(line)
PY
grep -rqF "$(printf 'caf\xef\xbf\xbd.csv')" "$WORK/x" || fail "the file name did not reach the export"
grep -qF "$(printf '\xef\xbf\xbd\xef\xbf\xbd')" "$WORK"/x/*/data/quarantine.ndjson || fail "the quarantined raw bytes did not reach the export"
assert_eq "$(sql "SELECT count(*) FROM insights WHERE export_seq IS NULL")" 0 "insights left unexported"
echo ok
