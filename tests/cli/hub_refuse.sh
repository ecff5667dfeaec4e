#!/usr/bin/env bash
# A hub refuses, with its reason and exit 4, every archive it cannot prove: a flipped byte, a
# missing or foreign signature, a missing or wrong .sha256, a hostile archive signed by the site's
# own key, a site it does not know, a name that is not an archive's. Nothing of them lands, and the
# rest of the disk is still received.
source "$(dirname "$0")/lib.sh"
sample_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/out" "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/out" --include anomalies,insights,items
feature_csv "$WORK/m.csv" 40 1000
expect_exit 0 "$EDGECTL" ingest "$WORK/m.csv"
expect_exit 0 "$EDGECTL" score
expect_exit 0 "$EDGECTL" export --to "$WORK/out" --include anomalies,insights
new_hub
hub_add_site "$STORE" test-site
other="$WORK/other"
EDGECTL_STORE="$other" expect_exit 0 "$EDGECTL" init --site other-site
hub_add_site "$other" other-site
a1="$WORK/out/test-site-000001.tar.zst"

# case DIR: a copy of archive 1 and its sidecars in $WORK/cases/DIR, to spoil.
case_of() { mkdir -p "$WORK/cases/$1" && cp "$a1" "$a1.sha256" "$a1.minisig" "$WORK/cases/$1/"; echo "$WORK/cases/$1/test-site-000001.tar.zst"; }
refused() {  # refused DIR TEXT: receiving DIR is refused, naming TEXT, and lands nothing
    expect_exit 4 "$EDGECTL" --store "$HUB" receive "$WORK/cases/$1"
    assert_contains "$ERR" "refused $WORK/cases/$1/"
    assert_contains "$ERR" "$2"
    assert_eq "$(hub_sql 'SELECT count(*) FROM archives')" 0 "archives landed from case $1"
    assert_eq "$(find "$HUB/lake" "$HUB/evidence" -type f | wc -l)" 0 "lake files from case $1"
}

f=$(case_of flipped); flip_byte "$f" 300; sha256sum "$f" | sed "s|  .*|  $(basename "$f")|" >"$f.sha256"
minisign -Sq -s "$STORE/site.key" -m "$f" -x "$f.minisig" -t "re-signed" </dev/null
refused flipped "test-site-000001"
assert_eq "$(hub_sql 'SELECT kind FROM refusals')" corrupt "kind of a corrupt archive"

f=$(case_of unsigned); rm "$f.minisig"
refused unsigned "test-site-000001.tar.zst.minisig' is missing: the archive is not signed"
f=$(case_of foreign); minisign -Sq -s "$other/site.key" -m "$f" -x "$f.minisig" </dev/null
refused foreign "test-site-000001.tar.zst.minisig'"
assert_eq "$(hub_sql "SELECT kind FROM refusals WHERE name = 'test-site-000001.tar.zst' ORDER BY id DESC LIMIT 1")" signature "kind"
f=$(case_of nosum); rm "$f.sha256"
refused nosum "test-site-000001.tar.zst.sha256' is missing"
f=$(case_of badsum); printf '%064d  test-site-000001.tar.zst\n' 0 >"$f.sha256"
refused badsum "does not match its digest in 'test-site-000001.tar.zst.sha256'"
assert_eq "$(hub_sql "SELECT kind FROM refusals ORDER BY id DESC LIMIT 1")" checksum "kind"

# Hostile, though signed with the site's own key: an entry that climbs out of the bag.
mkdir -p "$WORK/cases/hostile"
h="$WORK/cases/hostile/test-site-000001.tar.zst"
python3 - "$h.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in [("test-site-000001/bagit.txt", b"BagIt-Version: 1.0\n"), ("test-site-000001/../../evil", b"x")]:
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
PY
zstd -q --rm "$h.tar" -o "$h"
(cd "$WORK/cases/hostile" && sha256sum test-site-000001.tar.zst >test-site-000001.tar.zst.sha256)
minisign -Sq -s "$STORE/site.key" -m "$h" -x "$h.minisig" </dev/null
refused hostile "../../evil"
[ ! -e "$HUB/evil" ] && [ ! -e "$HUB/staging/evil" ] || fail "the hostile entry was written"

# A site the hub does not know, and a name that is no archive's.
EDGECTL_STORE="$WORK/stranger" expect_exit 0 "$EDGECTL" init --site stranger
mkdir -p "$WORK/cases/stranger"
cp "$a1" "$WORK/cases/stranger/stranger-000001.tar.zst"
refused stranger "site 'stranger' is not registered at this hub: register its key with 'edgectl sites add stranger SITE.pub'"
mkdir -p "$WORK/cases/name"
cp "$a1" "$WORK/cases/name/backup.tar.zst"
refused name "not an export archive: its name is not '<site>-<seq>.tar.zst'"

# A disk with a spoiled archive among good ones: the good ones land, the run exits 4.
cp "$WORK/out/"* "$WORK/disk/"
flip_byte "$WORK/disk/test-site-000001.tar.zst" 500
expect_exit 4 "$EDGECTL" --store "$HUB" receive "$WORK/disk"
assert_contains "$ERR" "refused $WORK/disk/test-site-000001.tar.zst: "
assert_contains "$OUT" "landed test-site-000002"
assert_eq "$(hub_sql 'SELECT group_concat(seq) FROM archives')" 2 "landed from the spoiled disk"
expect_exit 0 "$EDGECTL" --store "$HUB" receive "$a1"
assert_contains "$OUT" "landed test-site-000001"
r=$(cat "$HUB/receipts/test-site.receipt")
assert_eq "$(json_get "$r" "sorted({f['kind'] for f in d['refused']})")" "['checksum', 'corrupt', 'signature']" "refusals the site is told of"
assert_eq "$(json_get "$r" "d['missing']")" "[]" "missing"
assert_eq "$(ls -A "$HUB/staging")" "" "staging left behind"
echo ok
