#!/usr/bin/env bash
# Export signs and marks only the bytes it wrote and verified. An archive forged on the disk after an
# interrupted export (same name, same nonce, one row changed) is refused by the next run: exit 4,
# not signed, nothing marked. And a file swapped in under the archive's temporary name between its
# verification and its naming is never the one named: the archive named is the one verified.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"

# 1. Killed after the archive got its name, before its rows were marked; then forged.
EDGECTL_CRASH_AT=export.mark:commit expect_exit 137 "$EDGECTL" export --to "$WORK/disk"
archive="$WORK/disk/test-site-000001.tar.zst"
[ -f "$archive" ] || fail "the archive was not named before the kill"
unpack "$archive" "$WORK/forge"
bag="$WORK/forge/test-site-000001"
python3 - "$bag" <<'PY'
import hashlib, os, sys
bag = sys.argv[1]
def sha(p): return hashlib.sha256(open(p, "rb").read()).hexdigest()
p = os.path.join(bag, "data/insights.ndjson")
lines = open(p).read().splitlines()
lines[0] = lines[0].replace('"anomaly":false', '"anomaly":true') if '"anomaly":false' in lines[0] else lines[0].replace('"anomaly":true', '"anomaly":false')
open(p, "w").write("\n".join(lines) + "\n")
# Rewrite the manifests so that the bag is valid again: only the site's key could tell.
files = sorted(f for f in os.listdir(os.path.join(bag, "data")))
open(os.path.join(bag, "manifest-sha256.txt"), "w").write("".join(f"{sha(os.path.join(bag, 'data', f))}  data/{f}\n" for f in files))
info = open(os.path.join(bag, "bag-info.txt")).read().splitlines()
size = sum(os.path.getsize(os.path.join(bag, "data", f)) for f in files)
info = [f"Payload-Oxum: {size}.{len(files)}" if l.startswith("Payload-Oxum:") else l for l in info]
open(os.path.join(bag, "bag-info.txt"), "w").write("\n".join(info) + "\n")
tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]
open(os.path.join(bag, "tagmanifest-sha256.txt"), "w").write("".join(f"{sha(os.path.join(bag, t))}  {t}\n" for t in tags))
PY
rm "$archive" "$archive.minisig"
tar --zstd -cf "$archive" -C "$WORK/forge" test-site-000001
(cd "$WORK/disk" && sha256sum test-site-000001.tar.zst > test-site-000001.tar.zst.sha256)
expect_exit 0 "$EDGECTL" verify "$archive"  # a valid, unsigned bag: only the site's key could tell
expect_exit 4 "$EDGECTL" export --to "$WORK/disk"
assert_contains "$ERR" "is not the archive export test-site-000001 wrote"
assert_contains "$ERR" "exports abandon 1"
expect_exit 0 "$EDGECTL" site-key
printf '%s\n' "$OUT" > "$WORK/site.pub"
if minisign -Vq -p "$WORK/site.pub" -m "$archive" 2>/dev/null; then fail "the forged archive verifies against the site's key"; fi
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq IS NOT NULL')" 0 "rows marked"
assert_eq "$(sql 'SELECT state FROM exports')" pending "ledger state"

# The operator gives it up; its rows go out under the next sequence.
expect_exit 0 "$EDGECTL" exports abandon 1
rm "$WORK/disk"/*
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
assert_contains "$OUT" "test-site-000002.tar.zst"
assert_eq "$(sql "SELECT group_concat(state, ',') FROM (SELECT state FROM exports ORDER BY seq)")" "abandoned,complete"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq = 2')" "$(sql 'SELECT count(*) FROM insights')"

# 2. Stopped after verifying the new archive, before naming it; another file takes its temporary name.
# The file verified is the only one that may get the final name: with it gone, nothing is named, and
# the next run writes the volume again.
feature_csv "$WORK/more.csv" 30 5000
expect_exit 0 "$EDGECTL" ingest "$WORK/more.csv"
expect_exit 0 "$EDGECTL" score
EDGECTL_CRASH_STOP=export.digest:commit "$EDGECTL" export --to "$WORK/disk" >"$WORK/stopped.out" 2>&1 &
pid=$!
wait_stopped "$pid" "export at export.digest:commit"
partial="$WORK/disk/.test-site-000003.tar.zst.partial"
[ -f "$partial" ] || fail "no temporary archive while stopped"
cp "$WORK/disk/test-site-000002.tar.zst" "$WORK/impostor"
mv "$WORK/impostor" "$partial"
kill -CONT "$pid"
status=0
wait "$pid" || status=$?
assert_eq "$status" 1 "exit code of the export whose temporary file was replaced"
assert_contains "$(cat "$WORK/stopped.out")" "no longer names the file that was written and checked"
named="$WORK/disk/test-site-000003.tar.zst"
[ -e "$named" ] && fail "a file was named test-site-000003.tar.zst"
assert_eq "$(sql 'SELECT count(*) FROM insights WHERE export_seq = 3')" 0 "rows marked"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk"
expect_exit 0 "$EDGECTL" verify --key "$WORK/site.pub" "$named"
assert_eq "$(sha256sum < "$named" | cut -c1-64)" "$(sql 'SELECT digest FROM exports WHERE seq = 3')" "the named archive is the recorded one"
unpack "$named" "$WORK/x3"
assert_eq "$(lines "$WORK/x3/test-site-000003/data/insights.ndjson")" 30 "insights in the named archive"
[ -e "$partial" ] && fail "the impostor is still under the temporary name"
echo ok
