#!/usr/bin/env bash
# An export archive, camera frames included, is a valid BagIt 1.0 bag by an independent check with tar, coreutils and python3's json only (no edgectl code).
source "$(dirname "$0")/lib.sh"

camera_site
expect_exit 3 "$EDGECTL" score
mkdir "$WORK/disk"
expect_exit 0 "$EDGECTL" export --to "$WORK/disk" --include anomalies,insights,summary,images
archive="$WORK/disk/test-site-000001.tar.zst"
name=$(basename "$archive" .tar.zst)

# One base directory, named like the archive; every entry lies inside it.
tar --zstd -tf "$archive" >"$WORK/entries"
assert_eq "$(grep -cv "^$name/" "$WORK/entries" || true)" 0 "archive entries outside '$name/'"
unpack "$archive" "$WORK/x"
assert_eq "$(ls -A "$WORK/x")" "$name" "base directories in the archive"
cd "$WORK/x/$name"

# bagit.txt: exactly the BagIt 1.0 declaration.
assert_eq "$(od -An -c bagit.txt | tr -s ' \n' ' ')" "$(printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' | od -An -c | tr -s ' \n' ' ')" \
    "bagit.txt bytes"

# Every digest checks with sha256sum.
sha256sum --quiet --strict -c manifest-sha256.txt || fail "sha256sum -c manifest-sha256.txt"
sha256sum --quiet --strict -c tagmanifest-sha256.txt || fail "sha256sum -c tagmanifest-sha256.txt"

# The payload manifest lists every file under data/ exactly once, and nothing else.
manifest_paths() { sed -E 's/^[0-9a-f]{64}[ \t]+\*?//' "$1"; }
assert_eq "$(manifest_paths manifest-sha256.txt | sort | uniq -d)" "" "paths listed twice in manifest-sha256.txt"
assert_eq "$(manifest_paths manifest-sha256.txt | sort)" "$(find data -type f | sort)" "manifest-sha256.txt vs files under data/"
assert_eq "$(grep -cvE '^[0-9a-f]{64}  data/' manifest-sha256.txt || true)" 0 "malformed manifest lines"
# The tag manifest covers the tag files (not itself, not the payload).
assert_eq "$(manifest_paths tagmanifest-sha256.txt | sort)" "$(printf '%s\n' bag-info.txt bagit.txt manifest-sha256.txt)" \
    "tagmanifest-sha256.txt entries"
assert_eq "$(find . -type f ! -path './data/*' | sort)" "$(printf '%s\n' ./bag-info.txt ./bagit.txt ./manifest-sha256.txt ./tagmanifest-sha256.txt)" \
    "tag files in the bag"

# bag-info.txt: well-formed "Label: value" lines with the reserved fields the design names.
assert_eq "$(grep -cvE '^[A-Za-z0-9-]+: .+$' bag-info.txt || true)" 0 "malformed bag-info.txt lines"
info() { sed -n "s/^$1: //p" bag-info.txt; }
assert_eq "$(info Source-Organization)" test-site "Source-Organization"
[[ "$(info Bagging-Date)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || fail "Bagging-Date is not YYYY-MM-DD: $(info Bagging-Date)"
assert_eq "$(info External-Identifier)" "$name" "External-Identifier"
assert_eq "$(info Bag-Count)" "1 of 1" "Bag-Count"
[ -n "$(info Bag-Group-Identifier)" ] || fail "Bag-Group-Identifier is missing"
bytes=0 count=0
while IFS= read -r -d '' f; do
    bytes=$((bytes + $(stat -c %s "$f")))
    count=$((count + 1))
done < <(find data -type f -print0)
assert_eq "$(info Payload-Oxum)" "$bytes.$count" "Payload-Oxum"

# The payload is NDJSON that loads as it is.
[ -s data/insights.ndjson ] || fail "data/insights.ndjson is empty"
for f in data/*.ndjson; do ndjson_ok "$f"; done
assert_eq "$(lines data/insights.ndjson)" "$(info Edgectl-Insights)" "insight records vs Edgectl-Insights"
assert_eq "$(lines data/anomalies.ndjson)" "$(info Edgectl-Anomalies)" "anomaly records vs Edgectl-Anomalies"
assert_eq "$(lines data/anomalies.ndjson)" "$(sql 'SELECT count(*) FROM insights WHERE anomaly = 1')" "anomaly records vs the store"

# The anomalies' frames: one payload file each, named by the SHA-256 of its bytes, which the
# anomaly records name.
frames=$(sql "SELECT count(DISTINCT it.image) FROM insights i JOIN items it ON it.id = i.item_id WHERE i.anomaly = 1
              AND it.image IS NOT NULL")
[ "$frames" -ge 1 ] || fail "the sample camera has no anomalous frame to export"
assert_eq "$(find data/images -type f | wc -l)" "$frames" "frames under data/images"
for f in data/images/*; do
    assert_eq "$(sha256sum "$f" | cut -c1-64)" "$(basename "${f%.*}")" "a frame's name vs its SHA-256"
done
named=$(python3 -c 'import json,sys; print("\n".join(sorted({json.loads(l)["image"] for l in open(sys.argv[1]) if "image" in json.loads(l)})))' data/anomalies.ndjson)
assert_eq "$(ls data/images | sed 's/\.[a-z]*$//' | sort)" "$named" "frames vs the anomalies' image digests"
echo ok
